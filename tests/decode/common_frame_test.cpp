// Checks the decoder's fast path against its general path: every frame of every capture under
// shared/data/pcap, and common frames altered byte by byte and cut short, give the same result.
#include "decode/common_frame.h"

#include <gtest/gtest.h>

#include <cstring>
#include <string>
#include <vector>

#include "capture/capture_file.h"
#include "decode/packet_decoder.h"
#include "support/packet_builder.h"
#include "support/test_support.h"

namespace iotcensus::decode {
namespace {

using testing::Bytes;
using testing::Link;

// Every field of two observations, named in the failure.
void expect_same(const core::Observation& a, const core::Observation& b, const std::string& where) {
  SCOPED_TRACE(where);
  EXPECT_EQ(a.time_ns, b.time_ns);
  EXPECT_EQ(a.src, b.src);
  EXPECT_EQ(a.dst, b.dst);
  EXPECT_EQ(a.src_port, b.src_port);
  EXPECT_EQ(a.dst_port, b.dst_port);
  EXPECT_EQ(a.ip_length, b.ip_length);
  EXPECT_EQ(a.udp_length, b.udp_length);
  EXPECT_EQ(a.ntp_length, b.ntp_length);
  EXPECT_EQ(a.wire_length, b.wire_length);
  EXPECT_EQ(a.ip_version, b.ip_version);
  EXPECT_EQ(a.ttl, b.ttl);
  EXPECT_EQ(a.payload, b.payload);
  const core::NtpHeader& m = a.ntp;
  const core::NtpHeader& n = b.ntp;
  EXPECT_EQ(m.leap, n.leap);
  EXPECT_EQ(m.version, n.version);
  EXPECT_EQ(m.mode, n.mode);
  EXPECT_EQ(m.stratum, n.stratum);
  EXPECT_EQ(m.poll, n.poll);
  EXPECT_EQ(m.precision, n.precision);
  EXPECT_EQ(m.root_delay, n.root_delay);
  EXPECT_EQ(m.root_dispersion, n.root_dispersion);
  EXPECT_EQ(m.reference_id, n.reference_id);
  EXPECT_EQ(m.reference_ts, n.reference_ts);
  EXPECT_EQ(m.origin_ts, n.origin_ts);
  EXPECT_EQ(m.receive_ts, n.receive_ts);
  EXPECT_EQ(m.transmit_ts, n.transmit_ts);
  EXPECT_EQ(m.extension_fields, n.extension_fields);
  EXPECT_EQ(m.extension_bytes, n.extension_bytes);
  EXPECT_EQ(m.mac_length, n.mac_length);
  EXPECT_EQ(m.key_id, n.key_id);
  EXPECT_EQ(m.control_opcode, n.control_opcode);
  EXPECT_EQ(m.control_response, n.control_response);
  EXPECT_EQ(m.private_request, n.private_request);
  EXPECT_EQ(m.private_implementation, n.private_implementation);
}

void expect_same(const DecodeCounters& a, const DecodeCounters& b, const std::string& where) {
  EXPECT_EQ(a.frames, b.frames) << where;
  EXPECT_EQ(a.ntp, b.ntp) << where;
  EXPECT_EQ(a.skipped, b.skipped) << where;
  EXPECT_EQ(a.anomalies, b.anomalies) << where;
}

// An observation full of junk, so that a field the fast path forgets to set shows.
core::Observation junk() {
  core::Observation obs;
  std::memset(static_cast<void*>(&obs), 0xa5, sizeof obs);
  return obs;
}

// Decodes `frame` with decode() and with decode_general(); both must agree. True when the fast
// path took the frame.
bool compare_paths(const capture::RawPacket& frame, PacketDecoder& with_fast,
                   PacketDecoder& general, const std::string& where) {
  core::Observation fast_obs = junk();
  const bool fast_taken = decode_common_frame(frame, fast_obs);
  core::Observation via_decode = junk();
  const bool decoded = with_fast.decode(frame, via_decode);
  core::Observation general_obs = junk();
  const bool general_decoded = general.decode_general(frame, general_obs);
  EXPECT_EQ(decoded, general_decoded) << where;
  if (fast_taken) {
    EXPECT_TRUE(general_decoded) << where;
    expect_same(fast_obs, general_obs, where);
  }
  if (decoded && general_decoded) expect_same(via_decode, general_obs, where);
  return fast_taken;
}

TEST(CommonFrame, SameAsGeneralPathOnEveryCapture) {
  const auto files = testing::files_under(testing::shared_data() + "/pcap");
  ASSERT_GT(files.size(), 100u) << "shared data missing under " << testing::shared_data();
  size_t fast = 0, frames = 0;
  for (const std::string& path : files) {
    auto file = capture::CaptureFile::open(path);
    if (!file) continue;  // not a capture (fixtures of other readers)
    PacketDecoder with_fast, general;
    uint64_t index = 0;
    (void)file->for_each([&](const capture::RawPacket& p) {
      ++index;
      fast += compare_paths(p, with_fast, general, path + " frame " + std::to_string(index));
    });
    expect_same(with_fast.counters(), general.counters(), path);
    frames += index;
  }
  EXPECT_GT(frames, 1000u);
  EXPECT_GT(fast, 10u) << "the captures hold common frames";
}

capture::RawPacket raw(Link link, const Bytes& f, uint32_t captured) {
  capture::RawPacket p;
  p.time_ns = 1'234'567'890'123'456'789;
  p.link_type = testing::link_type(link);
  p.captured_length = captured;
  p.wire_length = static_cast<uint32_t>(f.size()) + 7;
  p.data = f.data();
  return p;
}

std::vector<Bytes> common_frames() {
  std::vector<Bytes> out;
  testing::UdpSpec v4;
  v4.payload = testing::netgear_request();
  out.push_back(testing::frame(Link::kEthernet, testing::ip_udp(v4)));
  testing::UdpSpec server = v4;
  server.src_port = 123;
  server.dst_port = 40000;
  server.payload = testing::ntp_header(0x24, 2, 0xe8a1b2c3d4e5f607ULL);
  out.push_back(testing::frame(Link::kEthernet, testing::ip_udp(server)));
  testing::UdpSpec v6 = server;
  v6.src = "2001:db8:1:2::10";
  v6.dst = "2001:db8::123";
  out.push_back(testing::frame(Link::kEthernet, testing::ip_udp(v6)));
  return out;
}

TEST(CommonFrame, TakesTheCommonFramesOfBothFamilies) {
  for (const Bytes& f : common_frames()) {
    core::Observation obs = junk();
    EXPECT_TRUE(decode_common_frame(raw(Link::kEthernet, f, static_cast<uint32_t>(f.size())), obs))
        << f.size();
  }
}

TEST(CommonFrame, SameAsGeneralPathOnAlteredFrames) {
  // Every byte of each common frame set to values that change its meaning, and the frame cut
  // short or padded: wherever the fast path still takes the frame, the general path agrees.
  const uint8_t values[] = {0x00, 0x01, 0x06, 0x0b, 0x11, 0x1c, 0x20, 0x3f, 0x40, 0x45,
                            0x46, 0x4c, 0x60, 0x7b, 0x80, 0x86, 0xdd, 0xe3, 0xfe, 0xff};
  PacketDecoder with_fast, general;
  size_t fast = 0, tried = 0;
  for (const Bytes& original : common_frames()) {
    for (size_t i = 0; i < original.size(); ++i) {
      for (uint8_t v : values) {
        Bytes f = original;
        f[i] = v;
        fast += compare_paths(raw(Link::kEthernet, f, static_cast<uint32_t>(f.size())), with_fast,
                              general, "byte " + std::to_string(i) + " = " + std::to_string(v));
        ++tried;
      }
    }
    Bytes padded = original;
    padded.resize(original.size() + 24, 0);
    for (size_t n = 0; n <= padded.size(); ++n) {
      fast += compare_paths(raw(Link::kEthernet, padded, static_cast<uint32_t>(n)), with_fast,
                            general, "captured " + std::to_string(n));
      ++tried;
    }
    for (Link link : {Link::kVlan, Link::kLinuxSll, Link::kRaw}) {
      const Bytes ip(original.begin() + 14, original.end());
      const Bytes f = testing::frame(link, ip);
      EXPECT_FALSE(compare_paths(raw(link, f, static_cast<uint32_t>(f.size())), with_fast, general,
                                 "other link"));
    }
  }
  expect_same(with_fast.counters(), general.counters(), "altered frames");
  EXPECT_GT(fast, 0u);
  EXPECT_LT(fast, tried);
}

}  // namespace
}  // namespace iotcensus::decode

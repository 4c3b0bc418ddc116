// Tests the decoders on frames built byte by byte: every supported link layer, IPv4 options and
// fragments, IPv6 extension headers, each NTP mode, extension fields and MACs, and every skip
// reason being counted exactly once.
#include "decode/packet_decoder.h"

#include <gtest/gtest.h>

#include "decode/ntp.h"
#include "support/packet_builder.h"

namespace iotcensus::decode {
namespace {

using testing::Bytes;
using testing::Link;

capture::RawPacket raw(Link link, const Bytes& f, int64_t t = 1'000'000'000) {
  capture::RawPacket p;
  p.time_ns = t;
  p.link_type = testing::link_type(link);
  p.captured_length = static_cast<uint32_t>(f.size());
  p.wire_length = static_cast<uint32_t>(f.size());
  p.data = f.data();
  return p;
}

uint64_t skipped(const PacketDecoder& d, SkipReason r) {
  return d.counters().skipped[static_cast<size_t>(r)];
}

TEST(PacketDecoder, DecodesNetgearRequestOnEveryLinkType) {
  for (Link link : {Link::kEthernet, Link::kVlan, Link::kQinQ, Link::kLinuxSll, Link::kLinuxSll2,
                    Link::kRaw, Link::kNull, Link::kLoop, Link::kIpv4}) {
    testing::UdpSpec spec;
    spec.payload = testing::netgear_request();
    const Bytes f = testing::frame(link, testing::ip_udp(spec));
    PacketDecoder d;
    core::Observation obs;
    ASSERT_TRUE(d.decode(raw(link, f), obs)) << static_cast<int>(link);
    EXPECT_EQ(obs.src.to_string(), "192.0.2.1");
    EXPECT_EQ(obs.dst.to_string(), "128.105.39.11");
    EXPECT_EQ(obs.src_port, 23457);
    EXPECT_EQ(obs.dst_port, 123);
    EXPECT_EQ(obs.ip_version, 4);
    EXPECT_EQ(obs.ip_length, 76);
    EXPECT_EQ(obs.udp_length, 56);
    EXPECT_EQ(obs.ntp_length, 48);
    EXPECT_EQ(obs.ntp.version, 1);
    EXPECT_EQ(obs.ntp.mode, 3);
    EXPECT_EQ(obs.ntp.leap, 0);
    EXPECT_EQ(obs.ntp.transmit_ts, 0u);
    EXPECT_EQ(obs.time_ns, 1'000'000'000);
    EXPECT_EQ(d.counters().ntp, 1u);
  }
}

TEST(PacketDecoder, DecodesIpv6WithExtensionHeaders) {
  testing::UdpSpec spec;
  spec.src = "2001:db8:1:2::10";
  spec.dst = "2001:db8::123";
  spec.src_port = 40000;
  spec.payload = testing::ntp_header(0x23, 0, 0xe8a1b2c3d4e5f607ULL);
  spec.ipv6_hop_by_hop = true;
  spec.ipv6_dest_options = true;
  for (Link link : {Link::kEthernet, Link::kRaw, Link::kIpv6, Link::kNull, Link::kLinuxSll2}) {
    const Bytes f = testing::frame(link, testing::ip_udp(spec));
    PacketDecoder d;
    core::Observation obs;
    ASSERT_TRUE(d.decode(raw(link, f), obs));
    EXPECT_EQ(obs.ip_version, 6);
    EXPECT_EQ(obs.src.to_string(), "2001:db8:1:2::10");
    EXPECT_EQ(obs.ntp.version, 4);
    EXPECT_EQ(obs.ntp.mode, 3);
    EXPECT_EQ(obs.ntp.transmit_ts, 0xe8a1b2c3d4e5f607ULL);
    EXPECT_EQ(obs.ip_length, 40 + 16 + 8 + 48);
  }
}

TEST(PacketDecoder, DecodesIpv4Options) {
  testing::UdpSpec spec;
  spec.payload = testing::netgear_request();
  spec.ipv4_options = {0x94, 0x04, 0x00, 0x00};  // router alert
  const Bytes f = testing::frame(Link::kEthernet, testing::ip_udp(spec));
  PacketDecoder d;
  core::Observation obs;
  ASSERT_TRUE(d.decode(raw(Link::kEthernet, f), obs));
  EXPECT_EQ(obs.ip_length, 80);
  EXPECT_EQ(obs.ntp_length, 48);
}

TEST(PacketDecoder, FirstFragmentWithWholeHeaderDecodesLaterOnesAreCounted) {
  testing::UdpSpec spec;
  spec.payload = testing::ntp_header(0x23, 0, 1);
  spec.fragment = 1;
  PacketDecoder d;
  core::Observation obs;
  Bytes first = testing::frame(Link::kEthernet, testing::ip_udp(spec));
  EXPECT_TRUE(d.decode(raw(Link::kEthernet, first), obs));
  spec.fragment = 2;
  Bytes later = testing::frame(Link::kEthernet, testing::ip_udp(spec));
  EXPECT_FALSE(d.decode(raw(Link::kEthernet, later), obs));
  EXPECT_EQ(skipped(d, SkipReason::kIpFragment), 1u);
  spec.src = "2001:db8::1";
  spec.dst = "2001:db8::2";
  spec.fragment = 1;
  Bytes first6 = testing::frame(Link::kEthernet, testing::ip_udp(spec));
  EXPECT_TRUE(d.decode(raw(Link::kEthernet, first6), obs));
  spec.fragment = 2;
  Bytes later6 = testing::frame(Link::kEthernet, testing::ip_udp(spec));
  EXPECT_FALSE(d.decode(raw(Link::kEthernet, later6), obs));
  EXPECT_EQ(skipped(d, SkipReason::kIpFragment), 2u);
  EXPECT_EQ(d.counters().ntp, 2u);
}

TEST(PacketDecoder, CountsEverySkipReason) {
  PacketDecoder d;
  core::Observation obs;
  testing::UdpSpec spec;
  spec.payload = testing::netgear_request();
  const Bytes ip = testing::ip_udp(spec);

  Bytes arp = testing::frame(Link::kEthernet, ip);
  arp[12] = 0x08;
  arp[13] = 0x06;
  EXPECT_FALSE(d.decode(raw(Link::kEthernet, arp), obs));
  EXPECT_EQ(skipped(d, SkipReason::kNotIp), 1u);

  Bytes tiny = {0x01, 0x02};
  EXPECT_FALSE(d.decode(raw(Link::kEthernet, tiny), obs));
  EXPECT_EQ(skipped(d, SkipReason::kLinkTruncated), 1u);

  capture::RawPacket unknown = raw(Link::kEthernet, arp);
  unknown.link_type = 147;
  EXPECT_FALSE(d.decode(unknown, obs));
  EXPECT_EQ(skipped(d, SkipReason::kUnsupportedLink), 1u);

  Bytes cut(ip.begin(), ip.begin() + 12);
  EXPECT_FALSE(d.decode(raw(Link::kRaw, cut), obs));
  EXPECT_EQ(skipped(d, SkipReason::kIpTruncated), 1u);

  Bytes bad_ihl = ip;
  bad_ihl[0] = 0x43;
  EXPECT_FALSE(d.decode(raw(Link::kRaw, bad_ihl), obs));
  EXPECT_EQ(skipped(d, SkipReason::kIpBadHeader), 1u);

  Bytes tcp = ip;
  tcp[9] = 6;
  EXPECT_FALSE(d.decode(raw(Link::kRaw, tcp), obs));
  EXPECT_EQ(skipped(d, SkipReason::kNotUdp), 1u);

  Bytes icmp = ip;
  icmp[9] = 1;
  EXPECT_FALSE(d.decode(raw(Link::kRaw, icmp), obs));
  EXPECT_EQ(skipped(d, SkipReason::kIcmp), 1u);

  Bytes udp_cut(ip.begin(), ip.begin() + 24);
  udp_cut[2] = 0;
  udp_cut[3] = 24;  // total length 24: 4 bytes of UDP header
  EXPECT_FALSE(d.decode(raw(Link::kRaw, udp_cut), obs));
  EXPECT_EQ(skipped(d, SkipReason::kUdpTruncated), 1u);

  Bytes udp_len = ip;
  udp_len[24] = 0x01;  // UDP length 0x0138 > IP payload
  EXPECT_FALSE(d.decode(raw(Link::kRaw, udp_len), obs));
  EXPECT_EQ(skipped(d, SkipReason::kUdpBadLength), 1u);

  testing::UdpSpec dns = spec;
  dns.dst_port = 53;
  dns.src_port = 5353;
  EXPECT_FALSE(d.decode(raw(Link::kRaw, testing::ip_udp(dns)), obs));
  EXPECT_EQ(skipped(d, SkipReason::kNotNtpPort), 1u);

  testing::UdpSpec short_ntp = spec;
  short_ntp.payload.resize(20);
  EXPECT_FALSE(d.decode(raw(Link::kRaw, testing::ip_udp(short_ntp)), obs));
  EXPECT_EQ(skipped(d, SkipReason::kNtpTruncated), 1u);

  EXPECT_EQ(d.counters().frames, 11u);
  EXPECT_EQ(d.counters().ntp, 0u);
}

TEST(NtpDecoder, ReadsEveryHeaderField) {
  Bytes p = testing::ntp_header(0xdc, 2, 0x0102030405060708ULL);  // LI 3, VN 3, mode 4
  core::NtpHeader h;
  ASSERT_EQ(decode_ntp({p.data(), p.size()}, h), NtpStatus::kOk);
  EXPECT_EQ(h.leap, 3);
  EXPECT_EQ(h.version, 3);
  EXPECT_EQ(h.mode, 4);
  EXPECT_EQ(h.stratum, 2);
  EXPECT_EQ(h.poll, 6);
  EXPECT_EQ(h.precision, -20);
  EXPECT_EQ(h.root_delay, 0x00010000u);
  EXPECT_EQ(h.root_dispersion, 0x00008000u);
  EXPECT_EQ(h.reference_id, 0x47505300u);
  EXPECT_EQ(h.reference_ts, 0xe000000000000000ULL);
  EXPECT_EQ(h.transmit_ts, 0x0102030405060708ULL);
  EXPECT_EQ(h.extension_fields, 0);
  EXPECT_EQ(h.mac_length, 0);
}

TEST(NtpDecoder, ReadsMacsAndExtensionFields) {
  Bytes p = testing::ntp_header(0x23, 0, 1);
  Bytes md5 = p;
  for (int i = 0; i < 20; ++i) md5.push_back(static_cast<uint8_t>(i < 3 ? 0 : i == 3 ? 7 : 0xaa));
  core::NtpHeader h;
  ASSERT_EQ(decode_ntp({md5.data(), md5.size()}, h), NtpStatus::kOk);
  EXPECT_EQ(h.mac_length, 20);
  EXPECT_EQ(h.key_id, 7u);
  EXPECT_EQ(h.extension_fields, 0);

  Bytes ef = p;  // two extension fields (16 and 20 bytes) then a SHA-1 MAC
  for (uint8_t len : {16, 20}) {
    ef.insert(ef.end(), {0x01, 0x04, 0x00, len});
    ef.insert(ef.end(), len - 4, 0);
  }
  ef.insert(ef.end(), 24, 0x55);
  core::NtpHeader h2;
  ASSERT_EQ(decode_ntp({ef.data(), ef.size()}, h2), NtpStatus::kOk);
  EXPECT_EQ(h2.extension_fields, 2);
  EXPECT_EQ(h2.extension_bytes, 36);
  EXPECT_EQ(h2.mac_length, 24);

  Bytes odd = p;
  odd.insert(odd.end(), 7, 0);
  core::NtpHeader h3;
  EXPECT_EQ(decode_ntp({odd.data(), odd.size()}, h3), NtpStatus::kTrailerInconsistent);
}

TEST(NtpDecoder, ReadsControlAndPrivateHeaders) {
  // ntpq "read variables" (mode 6, opcode 2) and ntpdc monlist (mode 7, request 42).
  Bytes control = {0x16, 0x02, 0x00, 0x01, 0, 0, 0, 0, 0, 0, 0, 0};
  core::NtpHeader c;
  ASSERT_EQ(decode_ntp({control.data(), control.size()}, c), NtpStatus::kOk);
  EXPECT_EQ(c.mode, 6);
  EXPECT_EQ(c.version, 2);
  EXPECT_EQ(c.control_opcode, 2);
  EXPECT_FALSE(c.control_response);
  Bytes monlist = {0x17, 0x00, 0x03, 0x2a, 0, 0, 0, 0};
  core::NtpHeader m;
  ASSERT_EQ(decode_ntp({monlist.data(), monlist.size()}, m), NtpStatus::kOk);
  EXPECT_EQ(m.mode, 7);
  EXPECT_EQ(m.private_implementation, 3);
  EXPECT_EQ(m.private_request, 42);
  Bytes short_control(control.begin(), control.begin() + 8);
  core::NtpHeader s;
  EXPECT_EQ(decode_ntp({short_control.data(), short_control.size()}, s), NtpStatus::kTruncated);
}

TEST(NtpDecoder, RecognisesEveryVersionAndMode) {
  for (int version = 0; version < 8; ++version) {
    for (int mode = 0; mode < 8; ++mode) {
      Bytes p(48, 0);
      p[0] = static_cast<uint8_t>(version << 3 | mode);
      core::NtpHeader h;
      ASSERT_EQ(decode_ntp({p.data(), p.size()}, h), NtpStatus::kOk);
      EXPECT_EQ(h.version, version);
      EXPECT_EQ(h.mode, mode);
    }
  }
}

}  // namespace
}  // namespace iotcensus::decode

// Tests the capture reader on pcap and pcapng files in every byte order, timestamp resolution
// and section/interface layout; tshark reads the same files and must report the same frames
// and times.
#include "capture/capture_file.h"

#include <gtest/gtest.h>

#include <fstream>

#include "support/packet_builder.h"
#include "support/test_support.h"

namespace iotcensus::capture {
namespace {

using testing::Link;
using testing::Record;

std::vector<Record> sample_records(int n, int64_t t0_ns) {
  std::vector<Record> out;
  for (int i = 0; i < n; ++i) {
    testing::UdpSpec spec;
    spec.payload = testing::netgear_request();
    spec.src = "192.0.2." + std::to_string(10 + i);
    Record r;
    r.time_ns = t0_ns + int64_t{i} * 1'080'000'123;  // 1.08 s apart, sub-microsecond part
    r.data = testing::frame(Link::kEthernet, testing::ip_udp(spec));
    out.push_back(r);
  }
  return out;
}

struct Seen {
  int64_t time_ns;
  uint32_t link_type;
  uint32_t length;
};

std::vector<Seen> read_all(const std::string& path, CaptureSummary* summary = nullptr) {
  auto file = CaptureFile::open(path);
  EXPECT_TRUE(file) << (file ? "" : file.error().message);
  if (!file) return {};
  std::vector<Seen> seen;
  auto s = file->for_each([&](const RawPacket& p) {
    seen.push_back({p.time_ns, p.link_type, p.captured_length});
  });
  EXPECT_TRUE(s) << (s ? "" : s.error().message);
  if (s && summary) *summary = s.value();
  return seen;
}

// tshark's frame.time_epoch for every frame, as nanoseconds.
std::vector<int64_t> tshark_times(const std::string& path) {
  auto r = testing::run("tshark -n -r " + testing::quote(path) + " -T fields -e frame.time_epoch");
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  std::vector<int64_t> out;
  for (const auto& line : testing::lines(r.out)) {
    auto dot = line.find('.');
    if (dot == std::string::npos) continue;
    std::string frac = line.substr(dot + 1);
    frac.resize(9, '0');
    out.push_back(std::stoll(line.substr(0, dot)) * 1'000'000'000 + std::stoll(frac));
  }
  return out;
}

TEST(CaptureFile, ReadsPcapInBothByteOrdersAndResolutions) {
  testing::TempDir tmp;
  const int64_t t0 = 1052913600'123456789LL;
  const auto records = sample_records(5, t0);
  for (bool big : {false, true}) {
    for (bool nano : {false, true}) {
      const std::string path =
          tmp.file(std::string("x") + (big ? "b" : "l") + (nano ? "n" : "u") + ".pcap");
      testing::write_pcap(path, records, {big, nano, 1});
      auto seen = read_all(path);
      ASSERT_EQ(seen.size(), records.size()) << path;
      auto tshark = tshark_times(path);
      ASSERT_EQ(tshark.size(), records.size()) << path;
      for (size_t i = 0; i < records.size(); ++i) {
        const int64_t expect = nano ? records[i].time_ns : records[i].time_ns / 1000 * 1000;
        EXPECT_EQ(seen[i].time_ns, expect) << path << " frame " << i + 1;
        EXPECT_EQ(seen[i].time_ns, tshark[i]) << path << " frame " << i + 1;
        EXPECT_EQ(seen[i].link_type, 1u);
        EXPECT_EQ(seen[i].length, records[i].data.size());
      }
    }
  }
}

TEST(CaptureFile, ReadsPcapngSectionsInterfacesAndResolutions) {
  testing::TempDir tmp;
  const int64_t t0 = 1052913600'987654321LL;
  // Section 1 (little-endian): Ethernet at microseconds and raw IP at nanoseconds.
  testing::PcapngSection s1;
  s1.interfaces = {{1, 0, -1}, {101, 0, 9}};
  for (int i = 0; i < 4; ++i) {
    testing::UdpSpec spec;
    spec.payload = testing::netgear_request();
    Record r;
    r.interface = static_cast<uint32_t>(i % 2);
    r.time_ns = t0 + i * 1'000'000'007LL;
    r.data = testing::frame(i % 2 ? Link::kRaw : Link::kEthernet, testing::ip_udp(spec));
    s1.records.push_back(r);
  }
  // Section 2 (big-endian): Linux cooked v1 with a 2^-20 s resolution.
  testing::PcapngSection s2;
  s2.big_endian = true;
  s2.interfaces = {{113, 0, 0x80 | 20}};
  for (int i = 0; i < 3; ++i) {
    testing::UdpSpec spec;
    spec.payload = testing::netgear_request();
    Record r;
    r.time_ns = t0 + 10'000'000'000LL + i * 500'000'000LL;
    r.data = testing::frame(Link::kLinuxSll, testing::ip_udp(spec));
    s2.records.push_back(r);
  }
  const std::string path = tmp.file("multi.pcapng");
  testing::write_pcapng(path, {s1, s2});
  CaptureSummary summary;
  auto seen = read_all(path, &summary);
  ASSERT_EQ(seen.size(), 7u);
  EXPECT_EQ(summary.sections, 2u);
  EXPECT_EQ(summary.interfaces, 3u);
  EXPECT_EQ(summary.format, CaptureFormat::kPcapng);
  EXPECT_EQ(seen[0].link_type, 1u);
  EXPECT_EQ(seen[1].link_type, 101u);
  EXPECT_EQ(seen[4].link_type, 113u);
  EXPECT_EQ(seen[0].time_ns, t0 / 1000 * 1000);
  EXPECT_EQ(seen[1].time_ns, t0 + 1'000'000'007LL);
  auto tshark = tshark_times(path);
  ASSERT_EQ(tshark.size(), seen.size());
  for (size_t i = 0; i < seen.size(); ++i) {
    // tshark prints 2^-20 s resolution rounded to the nanosecond; we truncate.
    EXPECT_LE(std::llabs(seen[i].time_ns - tshark[i]), 1) << "frame " << i + 1;
  }
}

TEST(CaptureFile, ReadsSimplePacketBlocks) {
  testing::TempDir tmp;
  testing::PcapngSection s;
  s.interfaces = {{1, 0, -1}};
  s.simple_packets = true;
  s.records = sample_records(3, 0);
  const std::string path = tmp.file("spb.pcapng");
  testing::write_pcapng(path, {s});
  auto seen = read_all(path);
  ASSERT_EQ(seen.size(), 3u);
  EXPECT_EQ(seen[2].length, s.records[2].data.size());
}

TEST(CaptureFile, TellsFormatByMagicNotName) {
  testing::TempDir tmp;
  const std::string path = tmp.file("looks-like.pcapng");
  testing::write_pcap(path, sample_records(2, 0), {});
  auto f = CaptureFile::open(path);
  ASSERT_TRUE(f);
  EXPECT_EQ(f->format(), CaptureFormat::kPcap);
}

TEST(CaptureFile, RejectsWhatIsNotACapture) {
  testing::TempDir tmp;
  const std::string text = tmp.file("notes.pcap");
  std::ofstream(text) << "these are not packets\n";
  auto f = CaptureFile::open(text);
  ASSERT_FALSE(f);
  EXPECT_EQ(f.error().code, core::ErrorCode::kNotACapture);
  EXPECT_NE(f.error().message.find(text), std::string::npos);

  auto missing = CaptureFile::open(tmp.file("absent.pcap"));
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().code, core::ErrorCode::kIo);

  const std::string empty = tmp.file("empty.pcap");
  std::ofstream(empty).flush();
  auto e = CaptureFile::open(empty);
  ASSERT_FALSE(e);
  EXPECT_EQ(e.error().code, core::ErrorCode::kNotACapture);
}

TEST(CaptureFile, KeepsRecordsBeforeACutShortTail) {
  testing::TempDir tmp;
  const std::string path = tmp.file("cut.pcap");
  testing::write_pcap(path, sample_records(3, 0), {});
  // Drop the last 10 bytes: the third record is cut short.
  std::ifstream in(path, std::ios::binary);
  std::string bytes((std::istreambuf_iterator<char>(in)), {});
  std::ofstream(path, std::ios::binary | std::ios::trunc) << bytes.substr(0, bytes.size() - 10);
  CaptureSummary summary;
  auto seen = read_all(path, &summary);
  EXPECT_EQ(seen.size(), 2u);
  EXPECT_TRUE(summary.cut_short);
  EXPECT_NE(summary.cut_short_detail.find("record 3"), std::string::npos);
}

TEST(CaptureFile, RejectsImpossibleRecordLength) {
  testing::TempDir tmp;
  const std::string path = tmp.file("bad.pcap");
  auto records = sample_records(2, 0);
  testing::write_pcap(path, records, {});
  std::fstream f(path, std::ios::binary | std::ios::in | std::ios::out);
  f.seekp(24 + 8);  // first record's captured length
  const char huge[4] = {'\xff', '\xff', '\xff', '\x7f'};
  f.write(huge, 4);
  f.close();
  auto file = CaptureFile::open(path);
  ASSERT_TRUE(file);
  auto s = file->for_each([](const RawPacket&) {});
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error().code, core::ErrorCode::kCorruptCapture);
  EXPECT_NE(s.error().message.find(path), std::string::npos);
}

TEST(CaptureFile, ReadsEverySharedPcapngLikeTshark) {
  // Multi-interface pcapng files that libpcap 1.10 refuses but tshark reads: same frame count.
  const std::string dir = testing::shared_data() + "/pcap/pcapng";
  int compared = 0;
  for (const auto& path : testing::files_under(dir)) {
    if (path.size() < 7 || path.substr(path.size() - 7) != ".pcapng") continue;
    // Frames with an encapsulation are packets; tshark also lists custom blocks as frames.
    auto tshark = testing::run("tshark -n -r " + testing::quote(path) +
                               " -Y frame.encap_type -T fields -e frame.number");
    if (tshark.exit_code != 0) continue;  // tshark rejects it (test901: pcapng version 2)
    auto file = CaptureFile::open(path);
    ASSERT_TRUE(file) << path;
    uint64_t n = 0;
    auto s = file->for_each([&](const RawPacket&) { ++n; });
    ASSERT_TRUE(s) << s.error().message;
    EXPECT_EQ(n, testing::lines(tshark.out).size()) << path;
    ++compared;
  }
  EXPECT_GE(compared, 40);
}

}  // namespace
}  // namespace iotcensus::capture

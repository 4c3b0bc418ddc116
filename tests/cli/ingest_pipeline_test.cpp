// Tests one capture through the pipeline (read, decode, classify, tally): unsupported link
// types are an error for the file only when no interface of it can be decoded.
#include "cli/ingest_pipeline.h"

#include <gtest/gtest.h>

#include "cli/rule_options.h"
#include "support/packet_builder.h"
#include "support/test_support.h"

namespace iotcensus::cli {
namespace {

testing::Record netgear_record(testing::Link link, int64_t t, uint32_t interface = 0) {
  testing::UdpSpec spec;
  spec.payload = testing::netgear_request();
  testing::Record r;
  r.time_ns = t;
  r.interface = interface;
  r.data = testing::frame(link, testing::ip_udp(spec));
  return r;
}

TEST(IngestPipeline, UnsupportedLinkTypeIsAnErrorEvenWithoutPackets) {
  auto classifier = RuleOptions{}.load();
  ASSERT_TRUE(classifier);
  testing::TempDir tmp;
  const std::string empty = tmp.file("empty147.pcap");
  testing::write_pcap(empty, {}, {false, false, 147});
  auto file = capture::CaptureFile::open(empty);
  ASSERT_TRUE(file);
  auto r = tally_capture(file.value(), classifier.value(), 3600);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, core::ErrorCode::kUnsupportedLink);
  EXPECT_NE(r.error().message.find("147"), std::string::npos);
  EXPECT_NE(r.error().message.find(empty), std::string::npos);

  // An empty capture of a supported link type is fine: nothing to count.
  const std::string empty_eth = tmp.file("empty-eth.pcap");
  testing::write_pcap(empty_eth, {}, {});
  auto eth = capture::CaptureFile::open(empty_eth);
  ASSERT_TRUE(eth);
  auto ok = tally_capture(eth.value(), classifier.value(), 3600);
  ASSERT_TRUE(ok);
  EXPECT_EQ(ok->counters.ntp, 0u);
}

TEST(IngestPipeline, MixedInterfacesCountTheUnsupportedOnes) {
  auto classifier = RuleOptions{}.load();
  ASSERT_TRUE(classifier);
  testing::TempDir tmp;
  testing::PcapngSection s;
  s.interfaces = {{147, 0, -1}, {1, 0, -1}};
  const int64_t t0 = 1052913600LL * 1'000'000'000;
  s.records = {netgear_record(testing::Link::kEthernet, t0, 0),
               netgear_record(testing::Link::kEthernet, t0 + 1, 1),
               netgear_record(testing::Link::kEthernet, t0 + 2, 1)};
  const std::string path = tmp.file("mixed.pcapng");
  testing::write_pcapng(path, {s});
  auto file = capture::CaptureFile::open(path);
  ASSERT_TRUE(file);
  auto r = tally_capture(file.value(), classifier.value(), 3600);
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->counters.ntp, 2u);
  EXPECT_EQ(r->counters.skipped[static_cast<size_t>(decode::SkipReason::kUnsupportedLink)], 1u);
  ASSERT_EQ(r->tallies.totals.size(), 1u);
  EXPECT_EQ(r->tallies.class_names.at(r->tallies.totals[0].class_id), "netgear-sntp-flawed");
  EXPECT_EQ(r->tallies.totals[0].evidence_packets, 2u);
}

}  // namespace
}  // namespace iotcensus::cli

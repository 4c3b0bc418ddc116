// Tests tallying observations in memory: per-bin packets, bytes, exact distinct sources and
// ports, classes resolved with cadence, flags, evidence, and out-of-order packets.
#include "tally/capture_tally.h"

#include <gtest/gtest.h>

#include <map>

#include "classify/rule_loader.h"
#include "cli/rule_options.h"

namespace iotcensus::tally {
namespace {

constexpr int64_t kT0 = 1052913600LL * 1'000'000'000;  // 2003-05-14T12:00:00Z

core::Observation netgear(const std::string& src, int64_t t_ns, uint16_t port = 23457) {
  core::Observation o;
  o.time_ns = t_ns;
  o.src = *core::Address::parse(src);
  o.dst = *core::Address::parse("128.105.39.11");
  o.src_port = port;
  o.dst_port = 123;
  o.ip_version = 4;
  o.ip_length = 76;
  o.udp_length = 56;
  o.ntp_length = 48;
  o.ntp.version = 1;
  o.ntp.mode = 3;
  static const uint8_t payload[48] = {0x0b};
  o.payload = payload;
  return o;
}

const std::string& name_of(const TallySet& t, uint16_t id) {
  return t.class_names.at(id);
}

TEST(CaptureTally, CountsBinsSourcesPortsAndEvidence) {
  auto classifier = cli::RuleOptions{}.load();
  ASSERT_TRUE(classifier);
  CaptureTally tally(classifier.value(), 3600);
  // 3 flooders at 1.08 s for 2 hours; one behind a NAT that rewrites the port.
  const int64_t step = 1'080'000'000;
  uint64_t expected_packets = 0;
  for (int64_t t = kT0; t < kT0 + 7200LL * 1'000'000'000; t += step) {
    tally.add(netgear("192.0.2.1", t));
    tally.add(netgear("192.0.2.2", t + 1000));
    tally.add(netgear("198.51.100.7", t + 2000, static_cast<uint16_t>(1024 + (t / step) % 500)));
    expected_packets += 3;
  }
  TallySet t = tally.finish();
  ASSERT_EQ(t.totals.size(), 2u);  // two hour bins, one class
  uint64_t packets = 0, bytes = 0, evidence = 0;
  for (const auto& row : t.totals) {
    EXPECT_EQ(name_of(t, row.class_id), "netgear-sntp-flawed");
    packets += row.packets;
    bytes += row.bytes;
    evidence += row.evidence_packets;
  }
  EXPECT_EQ(packets, expected_packets);
  EXPECT_EQ(bytes, expected_packets * 76);
  EXPECT_EQ(evidence, expected_packets / 3 * 2);  // the NAT'd source never uses port 23457
  EXPECT_EQ(t.bin_sources.size(), 6u);            // 3 sources x 2 bins
  // Ports: 23457 in each bin, plus the NAT'd source's ports (500 distinct over the run).
  std::map<int64_t, size_t> ports_per_bin;
  for (const auto& p : t.bin_ports) ++ports_per_bin[p.bin_start];
  EXPECT_EQ(ports_per_bin.size(), 2u);
  for (const auto& [bin, n] : ports_per_bin) EXPECT_EQ(n, 501u) << bin;
  ASSERT_EQ(t.sources.size(), 3u);
  for (const auto& s : t.sources) {
    EXPECT_NEAR(s.cadence.median_s(), 1.08, 0.15);
    EXPECT_EQ(s.packets, expected_packets / 3);
  }
  // Flags: every source is a fast poller, version 1, zero transmit, 1 s cadence band.
  std::map<std::string, uint64_t> flag_sources;
  for (const auto& f : t.bin_flags) {
    if (f.bin_start == kT0 / 1'000'000'000) ++flag_sources[t.flag_names.at(f.flag_id)];
  }
  EXPECT_EQ(flag_sources["rfc4330-fast-poll"], 3u);
  EXPECT_EQ(flag_sources["ntp-version-1"], 3u);
  EXPECT_EQ(flag_sources["zero-transmit-timestamp"], 3u);
  EXPECT_EQ(flag_sources["cadence-flood-1s"], 3u);
  EXPECT_EQ(flag_sources["cadence-60s"], 0u);
}

TEST(CaptureTally, CadenceRulesDecideTheClassPerSource) {
  auto rules = classify::parse_rules(R"(
[[class]]
name = "fast"
priority = 1
  [class.match]
  mode = [3]
  [class.cadence]
  median_max_s = 5
[[class]]
name = "slow"
priority = 2
  [class.match]
  mode = [3]
)",
                                     "t.toml");
  ASSERT_TRUE(rules);
  auto classifier = classify::Classifier::create(std::move(rules.value()));
  ASSERT_TRUE(classifier);
  CaptureTally tally(classifier.value(), 86400);
  for (int i = 0; i < 50; ++i) {
    tally.add(netgear("10.0.0.1", kT0 + i * 1'000'000'000LL));
    tally.add(netgear("10.0.0.2", kT0 + i * 64'000'000'000LL));
  }
  tally.add(netgear("10.0.0.3", kT0));  // one packet: no cadence, so not "fast"
  TallySet t = tally.finish();
  std::map<std::string, std::string> class_of;
  for (const auto& s : t.sources) class_of[s.source.to_string()] = name_of(t, s.class_id);
  EXPECT_EQ(class_of["10.0.0.1"], "fast");
  EXPECT_EQ(class_of["10.0.0.2"], "slow");
  EXPECT_EQ(class_of["10.0.0.3"], "slow");
}

TEST(CaptureTally, OutOfOrderPacketsStillCountOnce) {
  auto classifier = cli::RuleOptions{}.load();
  ASSERT_TRUE(classifier);
  CaptureTally tally(classifier.value(), 3600);
  tally.add(netgear("192.0.2.1", kT0 + 7200LL * 1'000'000'000));
  tally.add(netgear("192.0.2.1", kT0));  // earlier, other bin
  tally.add(netgear("192.0.2.1", kT0 + 7200LL * 1'000'000'000 + 1));
  TallySet t = tally.finish();
  ASSERT_EQ(t.sources.size(), 1u);
  EXPECT_EQ(t.sources[0].first_ns, kT0);
  EXPECT_EQ(t.sources[0].last_ns, kT0 + 7200LL * 1'000'000'000 + 1);
  EXPECT_EQ(t.sources[0].packets, 3u);
  EXPECT_EQ(t.bin_sources.size(), 2u);
  uint64_t packets = 0;
  for (const auto& r : t.totals) packets += r.packets;
  EXPECT_EQ(packets, 3u);
}

}  // namespace
}  // namespace iotcensus::tally

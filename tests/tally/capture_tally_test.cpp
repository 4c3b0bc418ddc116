// Tests tallying observations in memory: per-bin packets, bytes, exact distinct sources and
// ports, classes resolved with cadence, flags, evidence, and out-of-order packets.
#include "tally/capture_tally.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <map>
#include <set>
#include <string>
#include <tuple>
#include <vector>

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

// `o` sending NTP version `version` (its header and payload both).
core::Observation with_version(core::Observation o, uint8_t version) {
  static const auto payloads = [] {
    std::array<std::array<uint8_t, 48>, 8> p{};
    for (size_t v = 0; v < p.size(); ++v) p[v][0] = static_cast<uint8_t>(v << 3 | 3);
    return p;
  }();
  o.ntp.version = version;
  o.payload = payloads.at(version).data();
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
    EXPECT_NEAR(t.cadence_of(s).median_s(), 1.08, 0.15);
    EXPECT_EQ(s.packets, expected_packets / 3);
  }
  // Flags: every source is a fast poller, version 1, zero transmit, 1 s cadence band.
  std::map<std::string, uint64_t> flag_sources;
  for (const auto& f : t.bin_flags) {
    if (f.bin_start != kT0 / 1'000'000'000) continue;
    for (size_t i = 0; i < t.flag_names.size(); ++i) {
      if (f.flags >> i & 1) ++flag_sources[t.flag_names[i]];
    }
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
  // 10.0.0.1's cadence, but only 2 intervals: below a cadence condition's 3, so not "fast"
  // either (resolutions are shared between sources of one mask, bucket and interval count).
  for (int i = 0; i < 3; ++i) tally.add(netgear("10.0.0.4", kT0 + i * 1'000'000'000LL));
  TallySet t = tally.finish();
  std::map<std::string, std::string> class_of;
  for (const auto& s : t.sources) class_of[s.source.to_string()] = name_of(t, s.class_id);
  EXPECT_EQ(class_of["10.0.0.1"], "fast");
  EXPECT_EQ(class_of["10.0.0.2"], "slow");
  EXPECT_EQ(class_of["10.0.0.3"], "slow");
  EXPECT_EQ(class_of["10.0.0.4"], "slow");
}

// One class of client requests and two flags: version 1, and source port 9.
core::Result<classify::Classifier> client_classifier() {
  auto rules = classify::parse_rules(R"(
[[class]]
name = "client"
  [class.match]
  mode = [3]
[[flag]]
name = "v1"
  [flag.match]
  version = [1]
[[flag]]
name = "port9"
  [flag.match]
  src_port = [9]
)",
                                     "t.toml");
  if (!rules) return rules.error();
  return classify::Classifier::create(std::move(rules.value()));
}

// A source whose requests match two flag rules in different combinations has one flag row per
// combination, in order of the flag bits, each with the packets of that combination.
TEST(CaptureTally, OneFlagRowPerSetOfFlagsRaised) {
  auto classifier = client_classifier();
  ASSERT_TRUE(classifier);
  CaptureTally tally(classifier.value(), 86400);
  int64_t t_ns = kT0;
  auto send = [&](int n, uint8_t version, uint16_t port) {
    for (int i = 0; i < n; ++i) {
      const core::Observation o =
          with_version(netgear("10.0.0.1", t_ns += 1'000'000'000LL, port), version);
      tally.add(o);
    }
  };
  send(3, 1, 9);   // v1 and port9
  send(2, 4, 9);   // port9
  send(4, 4, 10);  // neither
  send(1, 1, 10);  // v1
  send(2, 1, 9);   // v1 and port9 again
  const TallySet t = tally.finish();
  ASSERT_EQ(t.flag_names, (std::vector<std::string>{"v1", "port9"}));
  ASSERT_EQ(t.bin_sources.size(), 1u);
  EXPECT_EQ(t.bin_sources[0].packets, 12u);
  std::vector<std::pair<uint64_t, uint64_t>> rows;  // flags, packets
  for (const auto& f : t.bin_flags) {
    EXPECT_EQ(f.source, t.bin_sources[0].source);
    rows.emplace_back(f.flags, f.packets);
  }
  EXPECT_EQ(rows, (std::vector<std::pair<uint64_t, uint64_t>>{{1, 1}, {2, 2}, {3, 5}}));
}

// Sources with the same single run of intervals share one histogram; a source that merges two
// entries (two rule masks) gets a histogram of its own and leaves the shared one as it was.
TEST(CaptureTally, SharedHistogramsStayUnchangedWhenASourceMergesEntries) {
  auto classifier = client_classifier();
  ASSERT_TRUE(classifier);
  CaptureTally tally(classifier.value(), 86400);
  auto send = [&](const std::string& src, int64_t start_s, uint8_t version) {
    for (int i = 0; i < 5; ++i) {  // 4 intervals of 1 s: one run in one bucket
      const core::Observation o =
          with_version(netgear(src, kT0 + (start_s + i) * 1'000'000'000LL), version);
      tally.add(o);
    }
  };
  send("10.0.0.0", 0, 1);
  send("10.0.0.1", 0, 1);
  send("10.0.0.1", 100, 4);  // a second entry of 10.0.0.1, same class
  send("10.0.0.2", 0, 1);
  const TallySet t = tally.finish();
  std::map<std::string, uint32_t> intervals;
  for (const auto& s : t.sources) intervals[s.source.to_string()] = t.cadence_of(s).intervals();
  EXPECT_EQ(intervals["10.0.0.0"], 4u);
  EXPECT_EQ(intervals["10.0.0.1"], 8u);
  EXPECT_EQ(intervals["10.0.0.2"], 4u);
  EXPECT_EQ(t.sources[0].cadence, t.sources[2].cadence);  // shared
  EXPECT_LT(t.cadences.size(), t.sources.size());
}

// Sources come out in address order, IPv4 (IPv4-mapped) and IPv6 alike: ::1 sorts before every
// IPv4 address and 2001:db8:: after them. A source in two classes has one row for each.
TEST(CaptureTally, SourcesAreInAddressOrder) {
  auto classifier = cli::RuleOptions{}.load();
  ASSERT_TRUE(classifier);
  CaptureTally tally(classifier.value(), 3600);
  const std::vector<std::string> sources{"2001:db8::1", "10.0.0.9", "::1",      "10.0.0.2",
                                         "fe80::1",     "9.9.9.9",  "10.0.1.0", "::2"};
  for (int i = 0; i < 4; ++i) {
    for (const auto& src : sources) {
      core::Observation o = netgear(src, kT0 + i * 1'080'000'000LL);
      if (src.find(':') != std::string::npos) o.ip_version = 6;
      tally.add(o);
    }
  }
  // Another class for 10.0.0.9.
  const core::Observation v3 = with_version(netgear("10.0.0.9", kT0 + 5'000'000'000LL), 3);
  tally.add(v3);
  const TallySet t = tally.finish();
  ASSERT_EQ(t.sources.size(), sources.size() + 1);
  for (size_t i = 1; i < t.sources.size(); ++i) {
    const auto& a = t.sources[i - 1];
    const auto& b = t.sources[i];
    EXPECT_TRUE(std::tie(a.source, a.class_id) < std::tie(b.source, b.class_id))
        << a.source.to_string() << " before " << b.source.to_string();
  }
  EXPECT_EQ(t.sources.front().source.to_string(), "::1");
  EXPECT_EQ(t.sources.back().source.to_string(), "fe80::1");
  for (size_t i = 1; i < t.bin_sources.size(); ++i) {
    const auto& a = t.bin_sources[i - 1];
    const auto& b = t.bin_sources[i];
    EXPECT_TRUE(std::tie(a.bin_start, a.class_id, a.source) <
                std::tie(b.bin_start, b.class_id, b.source));
  }
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

// A packet in order in its source's bin and train touches one cache line, where counters keep
// only their low bits (32 for a bin's packets and bytes, 16 for a train's packets); the rest
// is carried apart. Counts past those widths must come out whole.
TEST(CaptureTally, CountsBeyondTheHotLineWidths) {
  auto classifier = cli::RuleOptions{}.load();
  ASSERT_TRUE(classifier);
  CaptureTally tally(classifier.value(), 86400);
  const int64_t step = 500'000'000;  // all within the day of kT0 (12:00)
  // A daily summary claiming 5e9 requests (bytes past 2^32 too), then 70,000 single packets
  // of one train (past 2^16), then 3 more after a port change.
  const uint64_t summary_packets = 5'000'000'000ULL;
  const uint64_t summary_bytes = summary_packets * 76;
  const int64_t summary_last = kT0 + 3600LL * 1'000'000'000;
  tally.add_summary(netgear("192.0.2.9", kT0), summary_packets, summary_bytes, summary_last);
  const int kSingles = 70'000;
  int64_t t = summary_last;
  for (int i = 0; i < kSingles; ++i) {
    tally.add(netgear("192.0.2.9", t += step));
    tally.add(netgear("192.0.2.10", t + 1000));  // one train of 70,000 requests
  }
  for (int i = 0; i < 3; ++i) tally.add(netgear("192.0.2.9", t += step, 40000));
  TallySet out = tally.finish();
  const uint64_t packets = summary_packets + kSingles + 3;
  ASSERT_EQ(out.sources.size(), 2u);
  EXPECT_EQ(out.sources[0].packets, packets);
  EXPECT_EQ(out.sources[0].bytes, packets * 76);
  EXPECT_EQ(out.sources[0].first_ns, kT0);
  EXPECT_EQ(out.sources[0].last_ns, t);
  ASSERT_EQ(out.totals.size(), 1u);
  EXPECT_EQ(out.totals[0].packets, packets + kSingles);
  EXPECT_EQ(out.totals[0].bytes, (packets + kSingles) * 76);
  ASSERT_EQ(out.bin_sources.size(), 2u);
  EXPECT_EQ(out.bin_sources[0].packets, packets);
  EXPECT_EQ(out.bin_sources[0].first_ns, kT0);
  EXPECT_EQ(out.bin_sources[0].last_ns, t);
  EXPECT_EQ(out.bin_sources[1].packets, static_cast<uint64_t>(kSingles));
  EXPECT_EQ(out.bin_sources[1].interval_ns, step);  // (last - first) / (train packets - 1)
}

// Two clients behind one address, each taking a new source port for every request (as chronyd
// does), interleaved in one bin: every request is a train of its own, and all of them reach the
// device split, which must find both senders, each with its own period.
TEST(CaptureTally, EachRequestOnANewPortIsATrainOfItsOwn) {
  auto classifier = cli::RuleOptions{}.load();
  ASSERT_TRUE(classifier);
  CaptureTally t(classifier.value(), 3600);
  const int64_t a = 64'000'000'000, b = 100'000'000'000;  // periods, ns
  std::vector<core::Observation> packets;
  for (int64_t i = 0; i < 30; ++i) {
    packets.push_back(netgear("192.0.2.7", kT0 + i * a, static_cast<uint16_t>(40000 + i)));
    if (i < 20) {
      packets.push_back(
          netgear("192.0.2.7", kT0 + 7'000'000'000 + i * b, static_cast<uint16_t>(50000 + i)));
    }
  }
  std::sort(packets.begin(), packets.end(),
            [](const auto& x, const auto& y) { return x.time_ns < y.time_ns; });
  for (const auto& o : packets) t.add(o);
  const TallySet out = t.finish();
  ASSERT_EQ(out.bin_sources.size(), 1u);
  const BinSource& r = out.bin_sources[0];
  EXPECT_EQ(r.packets, 50u);
  EXPECT_EQ(r.first_ns, kT0);
  EXPECT_EQ(r.last_ns, kT0 + 7'000'000'000 + 19 * b);
  EXPECT_EQ(r.devices, 2u);
  EXPECT_EQ(r.interval_ns, a);  // the sender with the most requests
  EXPECT_EQ(r.anchor_ns, kT0 + 29 * a);
  EXPECT_EQ(out.bin_ports.size(), 50u);  // every port, once
}

// Ports are listed once per (bin, class), in (bin, class, port) order, both when a few groups
// mark them in bitmaps and when many groups sort them as keys.
TEST(CaptureTally, EachPortIsListedOncePerBinAndClass) {
  auto classifier = cli::RuleOptions{}.load();
  ASSERT_TRUE(classifier);
  for (const int64_t minutes : {3, 90}) {
    SCOPED_TRACE(minutes);
    CaptureTally t(classifier.value(), 60);
    std::vector<core::Observation> packets;
    for (int64_t s = 0; s < 20; ++s) {
      const std::string src = "192.0.2." + std::to_string(s + 1);
      for (int64_t k = 0; k * 1'080'000'000 < minutes * 60'000'000'000; ++k) {
        // A new port every 13 requests, the same as three other sources' (each port is seen
        // several times in a bin); a class of their own for one source in five.
        core::Observation o = netgear(src, kT0 + k * 1'080'000'000 + s * 1000,
                                      static_cast<uint16_t>(1024 + (s % 4 * 7 + k / 13) % 300));
        packets.push_back(s % 5 == 0 ? with_version(o, 3) : o);
      }
    }
    std::sort(packets.begin(), packets.end(),
              [](const auto& x, const auto& y) { return x.time_ns < y.time_ns; });
    for (const auto& o : packets) t.add(o);
    const TallySet out = t.finish();
    std::map<core::Address, uint16_t> class_of;
    for (const auto& s : out.sources) class_of.emplace(s.source, s.class_id);
    ASSERT_EQ(class_of.size(), 20u);
    std::set<std::tuple<int64_t, uint16_t, uint16_t>> expected;
    for (const auto& o : packets) {
      expected.emplace(o.time_ns / 60'000'000'000 * 60, class_of.at(o.src), o.src_port);
    }
    std::vector<std::tuple<int64_t, uint16_t, uint16_t>> listed;
    for (const auto& p : out.bin_ports) listed.emplace_back(p.bin_start, p.class_id, p.port);
    EXPECT_EQ(listed, std::vector(expected.begin(), expected.end()));
    EXPECT_EQ(out.totals.size(), static_cast<size_t>(minutes) * 2);  // two classes a minute
  }
}

// The fields of each kind of row, to compare rows whole.
auto fields(const BinTotals& r) {
  return std::make_tuple(r.bin_start, r.class_id, r.packets, r.bytes, r.evidence_packets);
}
auto fields(const BinSource& r) {
  return std::make_tuple(r.bin_start, r.class_id, r.source, r.packets, r.first_ns, r.last_ns,
                         r.devices_low, r.devices, r.devices_high, r.interval_ns, r.anchor_ns);
}
auto fields(const BinPort& r) {
  return std::make_tuple(r.bin_start, r.class_id, r.port);
}
auto fields(const BinFlag& r) {
  return std::make_tuple(r.bin_start, r.class_id, r.source, r.flags, r.packets);
}
// A summary's fields, its histogram (from the set's shared list) included.
struct SourceOf {
  const TallySet& set;
  const SourceSummary& row;
};
auto fields(const SourceOf& s) {
  const SourceSummary& r = s.row;
  return std::make_tuple(r.source, r.class_id, r.first_ns, r.last_ns, r.packets, r.bytes,
                         s.set.cadence_of(r).to_bytes());
}
template <class Row>
void expect_same_rows(const std::vector<Row>& a, const std::vector<Row>& b, const char* what) {
  ASSERT_EQ(a.size(), b.size()) << what;
  for (size_t i = 0; i < a.size(); ++i)
    EXPECT_TRUE(fields(a[i]) == fields(b[i])) << what << " " << i;
}
void expect_same_sources(const TallySet& a, const TallySet& b) {
  ASSERT_EQ(a.sources.size(), b.sources.size());
  for (size_t i = 0; i < a.sources.size(); ++i)
    EXPECT_TRUE(fields(SourceOf{a, a.sources[i]}) == fields(SourceOf{b, b.sources[i]}))
        << "sources " << i;
}
// Every row of two tallies, field by field.
void expect_same_tallies(const TallySet& a, const TallySet& b) {
  expect_same_rows(a.totals, b.totals, "totals");
  expect_same_rows(a.bin_sources, b.bin_sources, "bin sources");
  expect_same_rows(a.bin_ports, b.bin_ports, "bin ports");
  expect_same_rows(a.bin_flags, b.bin_flags, "bin flags");
  expect_same_sources(a, b);
}

// Packets are held and counted in rounds, partition by partition. Counted in rounds of one
// packet, each is counted when it arrives: any round size must give that tally, row for row.
TEST(CaptureTally, CountingInRoundsAgreesWithCountingEachPacketOnArrival) {
  auto classifier = cli::RuleOptions{}.load();
  ASSERT_TRUE(classifier);
  std::vector<core::Observation> packets;
  const int64_t step = 1'080'000'000;
  for (int64_t i = 0; i < 20'000; ++i) {
    // 500 sources, some out of order, some changing port, across an hour boundary; some send
    // version 3 now and then, so that they have entries under two rule masks.
    const std::string src = "10.0." + std::to_string(i % 500 / 250) + "." + std::to_string(i % 250);
    int64_t t = kT0 + 3590LL * 1'000'000'000 + (i / 500) * step + (i % 500) * 1000;
    if (i % 97 == 0) t -= 5 * step;
    core::Observation o = netgear(src, t, static_cast<uint16_t>(i % 331 == 0 ? 1024 + i : 23457));
    if (i % 500 < 40 && i % 3 == 0) o = with_version(o, 3);
    packets.push_back(o);
  }
  auto tally = [&](size_t round_packets, bool with_summaries) {
    CaptureTally t(classifier.value(), 3600, round_packets);
    for (size_t k = 0; k < packets.size(); k += CaptureTally::kBatch) {
      t.add_batch(&packets[k], std::min(CaptureTally::kBatch, packets.size() - k));
      if (with_summaries && k % 4096 == 0) {
        t.add_summary(netgear("10.0.0.7", packets[k].time_ns), 10, 760, packets[k].time_ns + step);
      }
    }
    return t.finish();
  };
  for (bool with_summaries : {false, true}) {
    SCOPED_TRACE(with_summaries ? "with summaries" : "packets only");
    const TallySet on_arrival = tally(1, with_summaries);
    ASSERT_EQ(on_arrival.totals.size(), 4u);     // two hours, two classes (versions 1 and 3)
    EXPECT_GT(on_arrival.sources.size(), 500u);  // and so some sources are in both classes
    {
      SCOPED_TRACE("one round");
      expect_same_tallies(on_arrival, tally(CaptureTally::kRoundPackets, with_summaries));
    }
    {
      SCOPED_TRACE("rounds of 777");
      expect_same_tallies(on_arrival, tally(777, with_summaries));
    }
  }
  // add() holds packets as add_batch() does.
  CaptureTally single(classifier.value(), 3600);
  for (const auto& o : packets) single.add(o);
  expect_same_tallies(tally(1, false), single.finish());
  // A summary of one request is counted by the general path alone (entry_index, add_packets),
  // never by the fast ones (add_first, add_fast, start_train): the same tallies.
  CaptureTally general(classifier.value(), 3600);
  for (const auto& o : packets) general.add_summary(o, 1, o.ip_length, o.time_ns);
  expect_same_tallies(tally(CaptureTally::kRoundPackets, false), general.finish());
}

}  // namespace
}  // namespace iotcensus::tally

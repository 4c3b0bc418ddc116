// End-to-end checks of `iotcensus simulate`: byte-identical output per seed, tshark decodes the
// Netgear requests as NTPv1 mode 3, and ingest + report of a simulated capture equal the truth.
#include <gtest/gtest.h>

#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>

#include "support/test_support.h"

namespace iotcensus::simulate {
namespace {

using testing::iotcensus_bin;
using testing::lines;
using testing::quote;
using testing::run;
using testing::source_dir;
using testing::split;
using testing::TempDir;

std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// The netgear signature without churn or NAT: every device has its own fixed address and port.
constexpr const char* kPlainScenario = R"(
[scenario]
name = "plain-netgear"
start = "2003-05-01"
end = "2003-09-01"
[vantage]
server = "128.105.39.11"
unanswered = [ { from = "2003-06-01T12:00:00Z", to = "2003-06-01T12:10:00Z" } ]
[[cohort]]
name = "netgear"
class = "netgear-sntp-flawed"
count = 400
  [cohort.client]
  request_hex = "0b0000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000"
  src_port = 23457
  unanswered_interval_s = 1.08
  interval_spread = 0.02
  answered = [ { interval_s = 60, share = 0.3 }, { interval_s = 600, share = 0.3 },
               { interval_s = 7200, share = 0.2 }, { interval_s = 86400, share = 0.2 } ]
  [cohort.births]
  curve = [ ["2003-05-01", 1.0], ["2003-07-01", 1.0] ]
  [[cohort.lifetime]]
  kind = "exponential"
  mean_days = 40
  [cohort.activity]
  online_share = 0.8
  [cohort.addressing]
  static_share = 1.0
  nat_share = 0.0
)";

std::string simulate(const std::string& args) {
  return quote(iotcensus_bin()) + " simulate -q " + args;
}

TEST(SimulateRoundTrip, SameSeedGivesIdenticalBytes) {
  TempDir dir;
  const std::string scen = source_dir() + "/scenarios/netgear-2003.toml";
  for (const char* fmt : {"pcap", "pcapng"}) {
    for (const char* name : {"a", "b"}) {
      auto r = run(simulate("--scenario " + quote(scen) + " --scale 0.001 --seed 7 --format " +
                            fmt + " --from 2003-06-10T00:00:00Z --to 2003-06-10T00:02:00Z --out " +
                            quote(dir.file(std::string(name) + "." + fmt)) + " --truth " +
                            quote(dir.file(std::string(name) + "-truth"))));
      ASSERT_EQ(r.exit_code, 0) << r.err;
    }
    const std::string a = slurp(dir.file(std::string("a.") + fmt));
    EXPECT_GT(a.size(), 10000u);
    EXPECT_EQ(a, slurp(dir.file(std::string("b.") + fmt)));
    EXPECT_EQ(slurp(dir.file("a-truth/devices.csv")), slurp(dir.file("b-truth/devices.csv")));
  }
  for (const char* name : {"a", "b"}) {
    auto r = run(simulate("--scenario " + quote(scen) +
                          " --scale 0.001 --seed 7 --format daily"
                          " --from 2003-05-01 --to 2003-09-01 --out " +
                          quote(dir.file(std::string(name) + ".csv"))));
    ASSERT_EQ(r.exit_code, 0) << r.err;
  }
  EXPECT_EQ(slurp(dir.file("a.csv")), slurp(dir.file("b.csv")));
  auto other = run(simulate("--scenario " + quote(scen) +
                            " --scale 0.001 --seed 8 --format daily"
                            " --from 2003-05-01 --to 2003-09-01 --out " +
                            quote(dir.file("c.csv"))));
  ASSERT_EQ(other.exit_code, 0) << other.err;
  EXPECT_NE(slurp(dir.file("a.csv")), slurp(dir.file("c.csv")));
}

TEST(SimulateRoundTrip, TsharkDecodesNetgearAsVersion1Mode3) {
  ASSERT_TRUE(testing::has_tool("tshark")) << "tshark not installed (scripts/setup installs it)";
  TempDir dir;
  const std::string scen = source_dir() + "/scenarios/netgear-2003.toml";
  for (const char* fmt : {"pcap", "pcapng"}) {
    const std::string f = dir.file(std::string("n.") + fmt);
    auto r =
        run(simulate("--scenario " + quote(scen) + " --scale 0.001 --format " + fmt +
                     " --from 2003-06-10T00:00:00Z --to 2003-06-10T00:01:00Z --out " + quote(f)));
    ASSERT_EQ(r.exit_code, 0) << r.err;
    auto t = run("tshark -n -r " + quote(f) +
                 " -Y ntp -T fields -e ntp.flags.vn -e ntp.flags.mode 2>&1 >" + quote(f + ".txt"));
    ASSERT_EQ(t.exit_code, 0) << t.out;
    EXPECT_EQ(t.out.find("rror"), std::string::npos) << t.out;
    EXPECT_EQ(t.out.find("alformed"), std::string::npos) << t.out;
    const auto rows = lines(slurp(f + ".txt"));
    ASSERT_GT(rows.size(), 1000u);
    for (const auto& row : rows) ASSERT_EQ(row, "1\t3");
  }
}

TEST(SimulateRoundTrip, IngestAndReportEqualTheTruth) {
  TempDir dir;
  { std::ofstream(dir.file("plain.toml")) << kPlainScenario; }
  const std::string pcap = dir.file("w.pcap");
  auto r = run(simulate("--scenario " + quote(dir.file("plain.toml")) +
                        " --format pcap --from 2003-06-01 --to 2003-06-04 --out " + quote(pcap) +
                        " --truth " + quote(dir.file("truth"))));
  ASSERT_EQ(r.exit_code, 0) << r.err;

  uint64_t written = 0;
  const auto req = lines(slurp(dir.file("truth/requests.csv")));
  ASSERT_EQ(req.at(0), "day,class,sent,recorded,written");
  for (size_t i = 1; i < req.size(); ++i) written += std::stoull(split(req[i], ',').at(4));
  ASSERT_GT(written, 10000u);

  const std::string store = dir.file("census.db");
  auto ing =
      run(quote(iotcensus_bin()) + " ingest --raw-addresses --json --bin-width day --store " +
          quote(store) + " " + quote(pcap));
  ASSERT_EQ(ing.exit_code, 0) << ing.err;
  const auto j = nlohmann::json::parse(lines(ing.out).at(0));
  EXPECT_EQ(j.at("packets").get<uint64_t>(), written);
  EXPECT_EQ(j.at("ntp_packets").get<uint64_t>(), written);

  std::map<std::string, std::string> online;
  const auto daily = lines(slurp(dir.file("truth/daily.csv")));
  ASSERT_EQ(daily.at(0), "day,class,alive,online");
  for (size_t i = 1; i < daily.size(); ++i) {
    const auto f = split(daily[i], ',');
    if (f.at(1) == "netgear-sntp-flawed") online[f.at(0)] = f.at(3);
  }
  ASSERT_EQ(online.size(), 3u);

  auto rep =
      run(quote(iotcensus_bin()) + " report --k 1 --format csv --bin day --store " + quote(store));
  ASSERT_EQ(rep.exit_code, 0) << rep.err;
  const auto rows = lines(rep.out);
  const auto header = split(rows.at(0), ',');
  const auto col = [&](const std::string& name) {
    for (size_t i = 0; i < header.size(); ++i) {
      if (header[i] == name) return i;
    }
    ADD_FAILURE() << "no column " << name << " in " << rows.at(0);
    return size_t{0};
  };
  size_t matched = 0;
  for (size_t i = 1; i < rows.size(); ++i) {
    const auto f = split(rows[i], ',');
    if (f.size() != header.size() || f[col("class")] != "netgear-sntp-flawed") continue;
    ASSERT_TRUE(online.count(f[col("bin_start")])) << rows[i];
    EXPECT_EQ(f[col("sources")], online[f[col("bin_start")]]) << rows[i];
    ++matched;
  }
  EXPECT_EQ(matched, 3u) << rep.out;
}

// Per-day rows of the report for one class: bin_start -> (column -> value).
std::map<std::string, std::map<std::string, std::string>> report_rows(const std::string& store,
                                                                      const std::string& cls) {
  auto rep =
      run(quote(iotcensus_bin()) + " report --k 1 --format csv --bin day --store " + quote(store));
  EXPECT_EQ(rep.exit_code, 0) << rep.err;
  const auto rows = lines(rep.out);
  const auto header = split(rows.at(0), ',');
  std::map<std::string, std::map<std::string, std::string>> out;
  for (size_t i = 1; i < rows.size(); ++i) {
    const auto f = split(rows[i], ',');
    if (f.size() != header.size() || f[1] != cls) continue;
    for (size_t c = 0; c < header.size(); ++c) out[f[0]][header[c]] = f[c];
  }
  return out;
}

TEST(SimulateRoundTrip, DailyFormatIngestsToTheTruthAndToWhatThePacketsGive) {
  TempDir dir;
  std::ofstream(dir.file("plain.toml")) << kPlainScenario;
  const std::string scen = quote(dir.file("plain.toml"));
  // The whole scenario in daily format; the first three days of June also as packets.
  ASSERT_EQ(run(simulate("--scenario " + scen + " --format daily --out " +
                         quote(dir.file("d.csv")) + " --truth " + quote(dir.file("truth"))))
                .exit_code,
            0);
  ASSERT_EQ(run(simulate("--scenario " + scen +
                         " --format daily --from 2003-06-01 --to 2003-06-04 --out " +
                         quote(dir.file("d3.csv"))))
                .exit_code,
            0);
  ASSERT_EQ(run(simulate("--scenario " + scen +
                         " --format pcap --from 2003-06-01 --to 2003-06-04 --out " +
                         quote(dir.file("p3.pcap"))))
                .exit_code,
            0);
  auto ingest = [&](const std::string& store, const std::string& file) {
    auto r =
        run(quote(iotcensus_bin()) + " ingest --raw-addresses --json --bin-width day --store " +
            quote(store) + " " + quote(file));
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return nlohmann::json::parse(lines(r.out).at(0));
  };
  const auto j = ingest(dir.file("daily.db"), dir.file("d.csv"));
  EXPECT_EQ(j.at("format"), "daily");
  uint64_t written = 0;
  const auto req = lines(slurp(dir.file("truth/requests.csv")));
  for (size_t i = 1; i < req.size(); ++i) written += std::stoull(split(req[i], ',').at(4));
  EXPECT_EQ(j.at("ntp_packets").get<uint64_t>(), written);

  // Every day: distinct sources equal the devices on line (no churn, no NAT in this scenario).
  std::map<std::string, std::string> online;
  const auto daily = lines(slurp(dir.file("truth/daily.csv")));
  for (size_t i = 1; i < daily.size(); ++i) {
    const auto f = split(daily[i], ',');
    if (f.at(1) == "netgear-sntp-flawed" && f.at(3) != "0") online[f.at(0)] = f.at(3);
  }
  const auto rows = report_rows(dir.file("daily.db"), "netgear-sntp-flawed");
  ASSERT_GT(online.size(), 90u);
  ASSERT_EQ(rows.size(), online.size());
  for (const auto& [day, n] : online) {
    ASSERT_TRUE(rows.count(day)) << day;
    EXPECT_EQ(rows.at(day).at("sources"), n) << day;
  }

  // The same three days from packets and from daily rows: the same census.
  ingest(dir.file("p3.db"), dir.file("p3.pcap"));
  ingest(dir.file("d3.db"), dir.file("d3.csv"));
  const auto from_packets = report_rows(dir.file("p3.db"), "netgear-sntp-flawed");
  const auto from_daily = report_rows(dir.file("d3.db"), "netgear-sntp-flawed");
  ASSERT_EQ(from_packets.size(), 3u);
  for (const auto& [day, row] : from_packets) {
    for (const char* c :
         {"packets", "bytes", "sources", "prefixes24", "source_ports", "evidence_packets"}) {
      EXPECT_EQ(from_daily.at(day).at(c), row.at(c)) << day << " " << c;
    }
  }
  // Cadence seen through daily rows (each row's mean interval) stays within about one
  // histogram bucket (a factor 2^(1/3)) of the median measured on the packets themselves.
  auto medians = [&](const std::string& store) {
    auto src = run(quote(iotcensus_bin()) + " sources --csv --limit 20 --store " + quote(store));
    EXPECT_EQ(src.exit_code, 0);
    std::map<std::string, double> m;
    const auto l = lines(src.out);
    for (size_t i = 1; i < l.size(); ++i)
      m[split(l[i], ',').at(0)] = std::stod(split(l[i], ',').at(6));
    return m;
  };
  const auto packet_medians = medians(dir.file("p3.db"));
  const auto daily_medians = medians(dir.file("d3.db"));
  size_t compared = 0;
  for (const auto& [source, median] : packet_medians) {
    if (!daily_medians.count(source)) continue;
    const double ratio = daily_medians.at(source) / median;
    EXPECT_GT(ratio, 0.75) << source << " " << median << " vs " << daily_medians.at(source);
    EXPECT_LT(ratio, 1.33) << source << " " << median << " vs " << daily_medians.at(source);
    ++compared;
  }
  EXPECT_GE(compared, 10u);

  // Day summaries cannot be split into hours: a store of hourly bins refuses them, untouched.
  auto hourly = run(quote(iotcensus_bin()) + " ingest --raw-addresses --store " +
                    quote(dir.file("h.db")) + " " + quote(dir.file("d3.csv")));
  EXPECT_EQ(hourly.exit_code, 1);
  EXPECT_NE(hourly.err.find("--bin-width day"), std::string::npos) << hourly.err;
  EXPECT_NE(hourly.err.find(dir.file("d3.csv")), std::string::npos) << hourly.err;
}

TEST(SimulateRoundTrip, MalformedDailyRowsAreRejected) {
  TempDir dir;
  std::ofstream(dir.file("bad.csv"))
      << "day,src,src_port,dst,dst_port,packets,bytes,first,last,ntp_header\n"
      << "2003-06-01,192.0.2.1,23457,128.105.39.11,123,2,152,2003-06-01T00:00:00.000000Z,"
         "2003-06-01T00:00:01.080000Z,0b"
      << std::string(94, '0') << "\n"
      << "2003-06-01,192.0.2.300,23457,128.105.39.11,123,2,152,2003-06-01T00:00:00Z,"
         "2003-06-01T00:00:01Z,0b"
      << std::string(94, '0') << "\n";
  auto r = run(quote(iotcensus_bin()) + " ingest --bin-width day --store " +
               quote(dir.file("c.db")) + " " + quote(dir.file("bad.csv")));
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("line 3"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("'src'"), std::string::npos) << r.err;
  auto rep =
      run(quote(iotcensus_bin()) + " report --k 1 --format csv --store " + quote(dir.file("c.db")));
  EXPECT_EQ(lines(rep.out).size(), 1u) << "nothing of the bad file is stored: " << rep.out;
}

}  // namespace
}  // namespace iotcensus::simulate

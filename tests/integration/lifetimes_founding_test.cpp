// The founding case end to end: netgear-2003 simulated over its whole span (2003-05-01 to
// 2017-01-01) at a small scale, ingested, and `iotcensus lifetimes --class` run on the store. The
// curved models must beat the straight line and the single exponential, and the simulator's true
// survival curve (the scenario's lifetime mixture) must lie in the Kaplan-Meier 95 % band.
#include <gtest/gtest.h>

#include <chrono>
#include <cmath>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>
#include <string>

#include "analyze/kaplan_meier.h"
#include "analyze/survival_data.h"
#include "core/time_bin.h"
#include "support/test_support.h"

namespace iotcensus::testing {
namespace {

// Measured (docs/lifetimes.md "Lifetimes from the store"): the whole run takes about a minute
// at this scale on the project's 2-core machine.
constexpr const char* kScale = "0.002";
constexpr const char* kSeed = "7";
constexpr const char* kClass = "netgear-sntp-flawed";
constexpr int64_t kEnd = 1483228800;  // 2017-01-01T00:00:00Z, the scenario's end (exclusive)

// The lifetime mixture of scenarios/netgear-2003.toml: 30 % exponential (mean 365 d), 55 %
// Weibull (shape 2, scale 2,200 d), 15 % log-normal (median 4,000 d, sigma 0.6).
double true_survival(double t) {
  if (t <= 0) return 1;
  const double exponential = std::exp(-t / 365.0);
  const double weibull = std::exp(-std::pow(t / 2200.0, 2.0));
  const double lognormal =
      0.5 * std::erfc((std::log(t) - std::log(4000.0)) / (0.6 * std::sqrt(2.0)));
  return 0.30 * exponential + 0.55 * weibull + 0.15 * lognormal;
}

std::string read_file(const std::string& path) {
  std::ifstream f(path);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

// The truth's lifetimes in days (death - birth), censored at the scenario's end.
analyze::SurvivalData truth_lifetimes(const std::string& devices_csv) {
  analyze::SurvivalData d;
  const auto ls = lines(read_file(devices_csv));
  EXPECT_GT(ls.size(), 1u);
  const auto header = split(ls.empty() ? "" : ls[0], ',');
  size_t birth_col = 0, death_col = 0, class_col = 0;
  for (size_t i = 0; i < header.size(); ++i) {
    if (header[i] == "birth") birth_col = i;
    if (header[i] == "death") death_col = i;
    if (header[i] == "class") class_col = i;
  }
  for (size_t i = 1; i < ls.size(); ++i) {
    const auto f = split(ls[i], ',');
    if (f.size() <= std::max(birth_col, death_col) || f[class_col] != kClass) continue;
    const auto birth = core::parse_iso8601(f[birth_col]);
    EXPECT_TRUE(birth.has_value()) << ls[i];
    if (!birth) continue;
    std::optional<int64_t> death;
    if (!f[death_col].empty()) death = core::parse_iso8601(f[death_col]);
    const bool dead = death && *death < kEnd;
    const int64_t exit = dead ? *death : kEnd;
    // Times must be > 0: a device dying within its first second lives one second.
    d.time.push_back(std::max<double>(1.0, static_cast<double>(exit - *birth)) / 86400.0);
    d.event.push_back(dead ? 1 : 0);
  }
  return d;
}

double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

const nlohmann::json* model_of(const nlohmann::json& models, const std::string& name) {
  for (const auto& m : models) {
    if (m["model"] == name) return &m;
  }
  return nullptr;
}

TEST(LifetimesFounding, NetgearLifetimesFromStoreRejectLineAndExponential) {
  TempDir dir;
  const std::string bin = quote(iotcensus_bin());
  const std::string daily = dir.file("daily.csv");
  const std::string store = dir.file("census.db");

  auto t0 = std::chrono::steady_clock::now();
  auto sim = run("IOTCENSUS_SCENARIOS_DIR=" + quote(source_dir() + "/scenarios") + " " + bin +
                 " simulate -q --scenario netgear-2003 --scale " + kScale + " --seed " + kSeed +
                 " --format daily --out " + quote(daily) + " --truth " + quote(dir.file("truth")));
  ASSERT_EQ(sim.exit_code, 0) << sim.err;
  const double simulate_s = seconds_since(t0);

  t0 = std::chrono::steady_clock::now();
  auto ing = run(bin + " ingest -q --store " + quote(store) + " --bin-width day --raw-addresses " +
                 quote(daily));
  ASSERT_EQ(ing.exit_code, 0) << ing.err;
  const double ingest_s = seconds_since(t0);

  t0 = std::chrono::steady_clock::now();
  auto life =
      run(bin + " lifetimes --class " + kClass + " --store " + quote(store) + " --format json");
  // The default publication rule withholds only the tail where fewer than 10 devices are at
  // risk; the statistical checks below use every row (--k 1).
  auto all_rows = run(bin + " lifetimes --class " + kClass + " --k 1 --store " + quote(store) +
                      " --format json");
  ASSERT_EQ(all_rows.exit_code, 0) << all_rows.err;
  ASSERT_EQ(life.exit_code, 0) << life.err;
  const double lifetimes_s = seconds_since(t0);
  std::cout << "simulate " << simulate_s << " s, ingest " << ingest_s << " s, lifetimes "
            << lifetimes_s << " s\n";

  const auto j = nlohmann::json::parse(all_rows.out);
  std::cout << "lives " << j["lives"].dump() << "\n";
  {
    const auto published = nlohmann::json::parse(life.out);
    EXPECT_EQ(published["lives"]["k"], 10);
    EXPECT_GT(published["lives"]["kaplan_meier_rows_withheld"].get<int>(), 0);
    for (const auto& row : published["kaplan_meier"]) EXPECT_GE(row["n_risk"].get<int>(), 10);
  }
  ASSERT_GT(j["subjects"].get<int>(), 500);
  ASSERT_GT(j["events"].get<int>(), 300);

  // Survival fits to the lives: a curved model first; the exponential far behind.
  const auto& models = j["models"];
  ASSERT_GE(models.size(), 5u);
  for (const auto& m : models) {
    std::cout << "survival " << m["model"].get<std::string>() << " dAIC " << m["delta_aic"].dump()
              << " half-life " << m["half_life"].dump() << "\n";
  }
  const std::set<std::string> curved = {"exponential-mixture", "weibull-mixture", "weibull",
                                        "lognormal",           "loglogistic",     "gompertz"};
  EXPECT_TRUE(curved.count(models[0]["model"].get<std::string>())) << models[0]["model"];
  const nlohmann::json* exponential = model_of(models, "exponential");
  ASSERT_NE(exponential, nullptr);
  EXPECT_GT((*exponential)["delta_aic"].get<double>(), 10);

  // Likelihood-ratio tests of the exponential against the mixtures that contain it. The
  // simulated lifetimes are a mixture of an exponential, a Weibull of shape 2 and a log-normal,
  // so the Weibull mixture (ranked first) is the alternative that must reject it.
  bool tested = false;
  for (const auto& t : j["likelihood_ratio_tests"]) {
    std::cout << "LR " << t.dump() << "\n";
    if (t["null"] == "exponential" && t["alternative"] == "weibull-mixture") {
      tested = true;
      EXPECT_EQ(t["df"], 4);
      EXPECT_TRUE(t["boundary"].get<bool>());
      EXPECT_LT(t["p_value"].get<double>(), 0.001);
    }
  }
  EXPECT_TRUE(tested);

  // Population curves of the daily `best` count: the straight line and the single exponential
  // are rejected by AIC there too.
  ASSERT_TRUE(j.contains("population")) << life.err;
  const auto& ranking = j["population"]["ranking"];
  ASSERT_GE(ranking.size(), 3u);
  for (const auto& r : ranking) {
    std::cout << "population " << r["model"].get<std::string>() << " dAIC " << r["delta_aic"].dump()
              << "\n";
  }
  EXPECT_NE(ranking[0]["model"], "linear");
  EXPECT_NE(ranking[0]["model"], "exponential");
  for (const char* rejected : {"linear", "exponential"}) {
    const nlohmann::json* m = model_of(ranking, rejected);
    ASSERT_NE(m, nullptr) << rejected;
    EXPECT_GT((*m)["delta_aic"].get<double>(), 10) << rejected;
  }

  // The oracle: Kaplan-Meier of the truth's lifetimes. The true curve must lie in its band
  // (this checks the formula above against the simulator).
  const analyze::SurvivalData truth = truth_lifetimes(dir.file("truth/devices.csv"));
  ASSERT_GT(truth.size(), 1000u);
  const analyze::KaplanMeier oracle = analyze::kaplan_meier(truth);
  int oracle_checked = 0, oracle_covered = 0;
  for (const auto& row : oracle.rows) {
    if (row.n_event == 0 || std::isnan(row.lower_log)) continue;
    ++oracle_checked;
    const double s = true_survival(row.time);
    if (row.lower_log <= s && s <= row.upper_log) ++oracle_covered;
  }
  ASSERT_GT(oracle_checked, 300);
  const double oracle_share = double(oracle_covered) / oracle_checked;

  // The measured Kaplan-Meier band against the true curve at every event time. A life spans
  // last - first + 1 calendar days, on average one day more than the device lived.
  int checked = 0, covered = 0;
  double worst = 0;
  for (const auto& row : j["kaplan_meier"]) {
    if (row["n_event"].get<int>() == 0 || row["lower"].is_null() || row["upper"].is_null()) {
      continue;
    }
    const double t = row["time"].get<double>();
    const double s = true_survival(t - 1);
    ++checked;
    if (row["lower"].get<double>() <= s && s <= row["upper"].get<double>()) ++covered;
    worst = std::max(worst, std::abs(row["survival"].get<double>() - s));
  }
  ASSERT_GT(checked, 200);
  const double share = double(covered) / checked;
  std::cout << "true S(t) inside the measured KM 95% band at " << covered << " of " << checked
            << " event times (" << share << "), largest |KM - S| " << worst
            << "; inside the oracle KM band at " << oracle_covered << " of " << oracle_checked
            << " (" << oracle_share << ")\n";
  // The measured curve against the oracle at yearly times.
  double worst_vs_oracle = 0;
  for (int year = 1; year <= 13; ++year) {
    const double t = 365.0 * year;
    double measured = NAN;
    for (const auto& row : j["kaplan_meier"]) {
      if (row["time"].get<double>() > t) break;
      measured = row["survival"].get<double>();
    }
    worst_vs_oracle = std::max(worst_vs_oracle, std::abs(measured - oracle.survival_at(t)));
    std::cout << "year " << year << ": measured KM " << measured << ", oracle KM "
              << oracle.survival_at(t) << ", true " << true_survival(t) << "\n";
  }
  // The simulator's lifetimes follow the formula.
  EXPECT_GE(oracle_share, 0.90);
  // The measured curve follows the oracle's (lives from linked devices, not from the truth)
  // and the true curve lies inside its band.
  EXPECT_LE(worst_vs_oracle, 0.01);
  EXPECT_LE(worst, 0.03);
  EXPECT_GE(share, 0.90);
}

}  // namespace
}  // namespace iotcensus::testing

// Tests `iotcensus lifetimes --from-csv` end to end against R: the JSON Kaplan-Meier table,
// median and survreg fits for lung equal R's results in ../shared/data/survival/expected_R.
// Tests `--population-csv` on a series simulated from known births and survival.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <ctime>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <random>

#include "support/survival_sets.h"
#include "support/test_support.h"

namespace iotcensus::testing {
namespace {

// R's CSV tables as rows of column -> text.
std::vector<std::map<std::string, std::string>> read_csv(const std::string& path) {
  const Table t = read_table(path);
  std::vector<std::map<std::string, std::string>> rows;
  for (const auto& cells : t.cells) {
    std::map<std::string, std::string> row;
    for (size_t i = 0; i < t.header.size() && i < cells.size(); ++i) row[t.header[i]] = cells[i];
    rows.push_back(std::move(row));
  }
  return rows;
}

void expect_rel(double actual, const std::string& expected, double tol, const std::string& what) {
  if (expected == "NA") return;
  const double e = std::stod(expected);
  EXPECT_LE(std::abs(actual - e), tol * std::max(1.0, std::abs(e)))
      << what << ": " << actual << " vs R " << e;
}

TEST(LifetimesCli, LungMatchesR) {
  const std::string data = shared_data() + "/survival";
  auto r = run(quote(iotcensus_bin()) + " lifetimes --format json --from-csv " +
               quote(data + "/rsurvival_lung.csv") + " --time time --event status --group sex");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["subjects"], 228);
  EXPECT_EQ(j["events"], 165);
  auto km = read_csv(data + "/expected_R/km_lung.csv");
  ASSERT_EQ(j["kaplan_meier"].size(), km.size());
  for (size_t i = 0; i < km.size(); ++i) {
    const auto& row = j["kaplan_meier"][i];
    const std::string at = "row " + std::to_string(i);
    expect_rel(row["time"].get<double>(), km[i]["time"], 0, at + " time");
    EXPECT_EQ(row["n_risk"].get<int>(), std::stoi(km[i]["n_risk"])) << at;
    expect_rel(row["survival"].get<double>(), km[i]["surv"], 1e-6, at + " survival");
    expect_rel(row["std_err"].get<double>(), km[i]["se_surv"], 1e-6, at + " std_err");
    if (!row["lower"].is_null())
      expect_rel(row["lower"].get<double>(), km[i]["lower95_log"], 1e-6, at + " lower");
    if (!row["upper"].is_null())
      expect_rel(row["upper"].get<double>(), km[i]["upper95_log"], 1e-6, at + " upper");
  }
  auto medians = read_csv(data + "/expected_R/medians.csv");
  for (const auto& m : medians) {
    if (m.at("dataset") != "lung") continue;
    EXPECT_EQ(j["median"]["time"].get<double>(), std::stod(m.at("median")));
    EXPECT_EQ(j["median"]["lower"].get<double>(), std::stod(m.at("median_lower95_log")));
    EXPECT_EQ(j["median"]["upper"].get<double>(), std::stod(m.at("median_upper95_log")));
  }
  // survreg's four models: log-likelihood and AIC.
  int compared = 0;
  for (const auto& f : read_csv(data + "/expected_R/parametric_fits.csv")) {
    if (f.at("dataset") != "lung") continue;
    for (const auto& model : j["models"]) {
      if (model["model"] != f.at("dist")) continue;
      expect_rel(model["log_likelihood"].get<double>(), f.at("loglik"), 1e-4, f.at("dist"));
      expect_rel(model["aic"].get<double>(), f.at("AIC"), 1e-4, f.at("dist"));
      ++compared;
    }
  }
  EXPECT_EQ(compared, 4);
  // Models come best AIC first.
  for (size_t i = 1; i < j["models"].size(); ++i) {
    EXPECT_LE(j["models"][i - 1]["aic"].get<double>(), j["models"][i]["aic"].get<double>());
  }
  // Log-rank lung ~ sex as R's survdiff.
  int log_rank_compared = 0;
  for (const auto& lr : read_csv(data + "/expected_R/logrank.csv")) {
    if (lr.at("test") != "lung ~ sex") continue;
    expect_rel(j["log_rank"]["chi_square"].get<double>(), lr.at("chisq"), 1e-6, "chisq");
    expect_rel(j["log_rank"]["p_value"].get<double>(), lr.at("p"), 1e-6, "p");
    ++log_rank_compared;
  }
  EXPECT_EQ(log_rank_compared, 1);
}

TEST(LifetimesCli, BadInputIsReported) {
  TempDir tmp;
  std::ofstream(tmp.file("x.csv")) << "t,e\n1,1\nabc,0\n";
  auto r = run(quote(iotcensus_bin()) + " lifetimes --from-csv " + quote(tmp.file("x.csv")) +
               " --time t --event e");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find(tmp.file("x.csv")), std::string::npos) << r.err;
  auto missing = run(quote(iotcensus_bin()) + " lifetimes --from-csv " + quote(tmp.file("x.csv")) +
                     " --time nope --event e");
  EXPECT_EQ(missing.exit_code, 1);
  EXPECT_NE(missing.err.find("nope"), std::string::npos) << missing.err;
}

// Births over 400 days from 2003-05-14; 30% live 120 days on average, 70% 2,000 days; the
// counts are Poisson around the exact population for 3,000 days.
struct SimulatedPopulation {
  double p = 0.3, m1 = 120, m2 = 2000;
  int birth_days = 400, days = 3000;
  std::vector<double> births, counts, exact;
  SimulatedPopulation() {
    for (int i = 0; i < birth_days; ++i) {
      const double x = (i + 0.5) / birth_days;
      births.push_back(std::round(6000 * x * (1 - x)));
    }
    std::mt19937_64 rng(21);
    for (int t = 0; t < days + 20000; ++t) exact.push_back(expected(t));
    for (int t = 0; t < days; ++t) {
      counts.push_back(static_cast<double>(std::poisson_distribution<int64_t>(exact[t])(rng)));
    }
  }
  double survival(double age) const {
    return p * std::exp(-age / m1) + (1 - p) * std::exp(-age / m2);
  }
  double expected(int t) const {
    double n = 0;
    for (int s = 0; s <= t && s < birth_days; ++s) n += births[s] * survival(t - s);
    return n;
  }
};

std::string date_of(int offset) {
  // 2003-05-14 plus offset days, via the C library (UTC).
  std::tm tm{};
  tm.tm_year = 103;
  tm.tm_mon = 4;
  tm.tm_mday = 14 + offset;
  const time_t t = timegm(&tm);
  char buf[16];
  std::strftime(buf, sizeof buf, "%Y-%m-%d", gmtime(&t));
  return buf;
}

TEST(LifetimesCli, PopulationCurvesFromCsv) {
  const SimulatedPopulation sim;
  TempDir tmp;
  {
    std::ofstream out(tmp.file("births.csv"));
    out << "day,births\n";
    for (int i = 0; i < sim.birth_days; ++i) out << date_of(i) << "," << sim.births[i] << "\n";
    std::ofstream pop(tmp.file("population.csv"));
    pop << "day,count\n";
    for (int t = 0; t < sim.days; ++t) pop << date_of(t) << "," << sim.counts[t] << "\n";
  }
  const double below = 50000;
  auto r = run(
      quote(iotcensus_bin()) + " lifetimes --format json --population-csv " +
      quote(tmp.file("population.csv")) + " --births-csv " + quote(tmp.file("births.csv")) +
      " --models exponential,weibull,exponential-mixture --project-below 50000" + " --draws 400");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["days"], sim.days);
  EXPECT_EQ(j["first_day"], "2003-05-14");
  EXPECT_EQ(j["dates"], true);
  // The straight line is ordinary least squares on (day number, count): computed here.
  double mx = 0, my = 0;
  for (int t = 0; t < sim.days; ++t) {
    mx += 12186 + t;
    my += sim.counts[t];
  }
  mx /= sim.days;
  my /= sim.days;
  double sxy = 0, sxx = 0;
  for (int t = 0; t < sim.days; ++t) {
    sxy += (12186 + t - mx) * (sim.counts[t] - my);
    sxx += (12186 + t - mx) * (12186 + t - mx);
  }
  EXPECT_NEAR(j["linear"]["slope"].get<double>() / (sxy / sxx), 1.0, 1e-10);
  // Ranking: four rows, the mixture first, the straight line and the exponential behind.
  ASSERT_EQ(j["ranking"].size(), 4u);
  EXPECT_EQ(j["ranking"][0]["model"], "exponential-mixture");
  const nlohmann::json* mix = nullptr;
  for (const auto& m : j["models"]) {
    if (m["model"] == "exponential-mixture") mix = &m;
  }
  ASSERT_NE(mix, nullptr);
  for (const auto& q : (*mix)["natural_parameters"]) {
    const std::string name = q["name"];
    const double truth = name == "p" ? sim.p : name == "mean1" ? sim.m1 : sim.m2;
    EXPECT_LE(std::abs(q["estimate"].get<double>() - truth), 4 * q["std_error"].get<double>())
        << name;
  }
  // The crossing interval contains the day the exact population falls below 50,000.
  int true_day = -1;
  for (int t = sim.days - 1; t < static_cast<int>(sim.exact.size()); ++t) {
    if (sim.exact[t] < below) {
      true_day = t;
      break;
    }
  }
  ASSERT_GT(true_day, 0);
  const auto& crossing = (*mix)["projection"]["below"];
  EXPECT_LE(crossing["lower"].get<std::string>(), date_of(true_day)) << crossing.dump();
  EXPECT_GE(crossing["upper"].get<std::string>(), date_of(true_day)) << crossing.dump();

  // CSV: one row per observed day plus the projected points after the last day.
  auto csv =
      run(quote(iotcensus_bin()) + " lifetimes --format csv --population-csv " +
          quote(tmp.file("population.csv")) + " --births-csv " + quote(tmp.file("births.csv")) +
          " --models exponential-mixture --project-days 730 --project-step 365 --draws 50");
  ASSERT_EQ(csv.exit_code, 0) << csv.err;
  const auto rows = lines(csv.out);
  ASSERT_EQ(rows.size(), 1u + sim.days + 2u);
  EXPECT_EQ(rows[0], "day,observed,model,fitted,lower,upper");
  EXPECT_EQ(rows[1].rfind("2003-05-14,", 0), 0u) << rows[1];
  auto table = run(quote(iotcensus_bin()) + " lifetimes --population-csv " +
                   quote(tmp.file("population.csv")) + " --models none");
  ASSERT_EQ(table.exit_code, 0) << table.err;
  EXPECT_NE(table.out.find("straight line"), std::string::npos) << table.out;
}

TEST(LifetimesCli, BadPopulationCsvNamesFileAndLine) {
  TempDir tmp;
  std::ofstream(tmp.file("pop.csv")) << "day,count\n2003-05-14,10\n2003-05-15,lots\n";
  auto r =
      run(quote(iotcensus_bin()) + " lifetimes --population-csv " + quote(tmp.file("pop.csv")));
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find(tmp.file("pop.csv")), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("line 3"), std::string::npos) << r.err;
  std::ofstream(tmp.file("good.csv")) << "day,count\n1,10\n2,9\n3,8\n4,7\n";
  std::ofstream(tmp.file("births.csv")) << "day,births\n1,10\n1,3\n";
  auto b = run(quote(iotcensus_bin()) + " lifetimes --population-csv " +
               quote(tmp.file("good.csv")) + " --births-csv " + quote(tmp.file("births.csv")));
  EXPECT_EQ(b.exit_code, 1);
  EXPECT_NE(b.err.find(tmp.file("births.csv")), std::string::npos) << b.err;
  EXPECT_NE(b.err.find("line 3"), std::string::npos) << b.err;
  auto neither = run(quote(iotcensus_bin()) + " lifetimes --time t --event e");
  EXPECT_NE(neither.exit_code, 0);
}

}  // namespace
}  // namespace iotcensus::testing

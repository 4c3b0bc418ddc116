// Tests `iotcensus lifetimes --from-csv` end to end against R: the JSON Kaplan-Meier table,
// median and survreg fits for lung equal R's results in ../shared/data/survival/expected_R.
#include <gtest/gtest.h>

#include <cmath>
#include <map>
#include <nlohmann/json.hpp>

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

}  // namespace
}  // namespace iotcensus::testing

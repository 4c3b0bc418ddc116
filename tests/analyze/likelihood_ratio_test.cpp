// Likelihood-ratio tests against R: the statistic of the exponential inside the Weibull is
// 2 (LL Weibull - LL exponential) from survreg's log-likelihoods in
// ../shared/data/survival/expected_R/parametric_fits.csv, and the p-values are the chi-square
// upper tails in closed form (df 1: erfc(sqrt(x / 2)); df 2: exp(-x / 2)).

#include "analyze/likelihood_ratio.h"

#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <map>

#include "support/survival_sets.h"
#include "support/test_support.h"

namespace iotcensus::analyze {
namespace {

using testing::DataSet;
using testing::kDataSets;
using testing::survival_dir;

// dataset -> dist -> survreg log-likelihood.
std::map<std::string, std::map<std::string, double>> r_logliks() {
  std::map<std::string, std::map<std::string, double>> out;
  std::ifstream in(survival_dir() + "/expected_R/parametric_fits.csv");
  std::string line;
  std::getline(in, line);
  while (std::getline(in, line)) {
    const auto f = iotcensus::testing::split(line, ',');
    if (f.size() < 9) continue;
    out[f[0]][f[1]] = std::strtod(f[8].c_str(), nullptr);
  }
  return out;
}

TEST(LikelihoodRatio, ExponentialInWeibullMatchesSurvregOnEveryDataSet) {
  const auto r = r_logliks();
  ASSERT_FALSE(r.empty());
  int compared = 0;
  for (const DataSet& ds : kDataSets) {
    auto it = r.find(ds.name);
    if (it == r.end() || !it->second.count("exponential") || !it->second.count("weibull")) {
      continue;
    }
    auto data = load_survival_csv(survival_dir() + "/" + ds.file, {ds.time, ds.event, "", ""});
    ASSERT_TRUE(data) << data.error().message;
    auto exponential = fit_parametric(*data, Distribution::kExponential);
    auto weibull = fit_parametric(*data, Distribution::kWeibull);
    ASSERT_TRUE(exponential && weibull) << ds.name;
    auto t = likelihood_ratio_test(*exponential, *weibull);
    ASSERT_TRUE(t) << t.error().message;
    const double want = 2 * (it->second.at("weibull") - it->second.at("exponential"));
    EXPECT_NEAR(t->statistic, std::max(want, 0.0), 1e-4 * std::max(1.0, std::fabs(want)))
        << ds.name;
    EXPECT_EQ(t->df, 1);
    EXPECT_FALSE(t->boundary);
    EXPECT_NEAR(t->p_value, std::erfc(std::sqrt(t->statistic / 2)), 1e-12) << ds.name;
    ++compared;
  }
  EXPECT_GE(compared, 6);
}

TEST(LikelihoodRatio, MixtureIsABoundaryTestWithTwoDegreesOfFreedom) {
  const DataSet& ds = kDataSets[0];  // lung
  auto data = load_survival_csv(survival_dir() + "/" + ds.file, {ds.time, ds.event, "", ""});
  ASSERT_TRUE(data) << data.error().message;
  auto exponential = fit_parametric(*data, Distribution::kExponential);
  auto mixture = fit_parametric(*data, Distribution::kExponentialMixture);
  ASSERT_TRUE(exponential && mixture);
  auto t = likelihood_ratio_test(*exponential, *mixture);
  ASSERT_TRUE(t) << t.error().message;
  EXPECT_EQ(t->df, 2);
  EXPECT_TRUE(t->boundary);
  EXPECT_NEAR(t->statistic, 2 * (mixture->log_likelihood - exponential->log_likelihood), 1e-9);
  EXPECT_GE(t->statistic, 0);
  EXPECT_NEAR(t->p_value, std::exp(-t->statistic / 2), 1e-12);
}

TEST(LikelihoodRatio, RefusesModelsThatAreNotNested) {
  const DataSet& ds = kDataSets[0];
  auto data = load_survival_csv(survival_dir() + "/" + ds.file, {ds.time, ds.event, "", ""});
  ASSERT_TRUE(data);
  auto weibull = fit_parametric(*data, Distribution::kWeibull);
  auto lognormal = fit_parametric(*data, Distribution::kLogNormal);
  ASSERT_TRUE(weibull && lognormal);
  auto t = likelihood_ratio_test(*weibull, *lognormal);
  ASSERT_FALSE(t);
  EXPECT_EQ(t.error().code, core::ErrorCode::kUsage);
}

}  // namespace
}  // namespace iotcensus::analyze

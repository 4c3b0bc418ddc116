// Tests the parametric fits against R's survreg (shared/data/survival/expected_R/
// parametric_fits.csv) and, for Gompertz, mixtures and truncation, on simulated data.
#include "analyze/parametric.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <fstream>
#include <map>
#include <random>
#include <sstream>

#include "support/survival_sets.h"
#include "support/test_support.h"

namespace iotcensus::analyze {
namespace {

using testing::DataSet;
using testing::kDataSets;
using testing::survival_dir;

double rel(double got, double want) {
  return std::fabs(got - want) / std::max(std::fabs(want), 1e-300);
}

std::map<std::string, double>& worst() {
  static std::map<std::string, double> w;
  return w;
}

class WorstErrorPrinter : public ::testing::Environment {
 public:
  void TearDown() override {
    for (const auto& [what, e] : worst())
      std::printf("worst relative error %-14s %.3g\n", what.c_str(), e);
  }
};
const auto* const kPrinter = ::testing::AddGlobalTestEnvironment(new WorstErrorPrinter);

void check(const std::string& what, const std::string& where, double got, double want) {
  const double e = rel(got, want);
  worst()[what] = std::max(worst()[what], e);
  EXPECT_LE(e, 1e-4) << where << " " << what << ": got " << got << ", R " << want;
}

TEST(Parametric, SurvregFourModelsOnEveryDataSet) {
  std::ifstream in(survival_dir() + "/expected_R/parametric_fits.csv");
  ASSERT_TRUE(in);
  std::string line;
  std::getline(in, line);
  int compared = 0;
  std::map<std::string, SurvivalData> cache;
  while (std::getline(in, line)) {
    const auto f = iotcensus::testing::split(line, ',');
    ASSERT_GE(f.size(), 13u) << line;
    const std::string name = f[0], dist = f[1];
    const DataSet* ds = nullptr;
    for (const DataSet& d : kDataSets) {
      if (name == d.name) ds = &d;
    }
    ASSERT_NE(ds, nullptr) << name;
    if (!cache.count(name)) {
      auto data = load_survival_csv(survival_dir() + "/" + ds->file, {ds->time, ds->event, "", ""});
      ASSERT_TRUE(data) << data.error().message;
      cache[name] = *data;
    }
    auto model = parse_distribution(dist);
    ASSERT_TRUE(model) << dist;
    auto fit = fit_parametric(cache[name], *model);
    ASSERT_TRUE(fit) << fit.error().message;
    const std::string where = name + " " + dist;
    auto num = [&](std::size_t i) { return std::strtod(f[i].c_str(), nullptr); };
    EXPECT_TRUE(fit->converged) << where;
    EXPECT_EQ(fit->n, static_cast<int64_t>(num(2))) << where;
    EXPECT_EQ(fit->events, static_cast<int64_t>(num(3))) << where;
    check("intercept", where, fit->parameters[0].estimate, num(4));
    check("se_intercept", where, fit->parameters[0].std_error, num(5));
    if (*model != Distribution::kExponential) {
      check("scale", where, parameter(*fit, "scale"), num(6));
      check("log_scale", where, parameter(*fit, "log_scale"), num(7));
    }
    check("loglik", where, fit->log_likelihood, num(8));
    EXPECT_EQ(fit->n_parameters, static_cast<int>(num(9))) << where;
    check("AIC", where, fit->aic, num(10));
    check(f[11], where,
          parameter(*fit, f[11] == "lambda_mean_lifetime" || f[11] == "lambda_scale" ? "lambda_"
                          : f[11] == "alpha_scale"                                   ? "alpha_"
                                                                                     : f[11] + "_"),
          num(12));
    if (f.size() > 14 && !f[13].empty()) {
      const std::string n2 = f[13] == "rho_shape"    ? "rho_"
                             : f[13] == "beta_shape" ? "beta_"
                                                     : f[13] + "_";
      check(f[13], where, parameter(*fit, n2), num(14));
    }
    ++compared;
  }
  EXPECT_EQ(compared, 32);
}

TEST(Parametric, HalfLifeAndMeanLifeAreConsistent) {
  auto data = load_survival_csv(survival_dir() + "/rsurvival_lung.csv", {"time", "status", "", ""});
  ASSERT_TRUE(data);
  for (Distribution d : all_distributions()) {
    auto fit = fit_parametric(*data, d);
    ASSERT_TRUE(fit) << distribution_name(d);
    EXPECT_NEAR(fitted_survival(*fit, fit->half_life), 0.5, 1e-9) << distribution_name(d);
    ASSERT_TRUE(std::isfinite(fit->mean_life)) << distribution_name(d);
    // The mean lifetime is the integral of S (numerical check of the closed forms).
    EXPECT_NEAR(mean_residual_life(*fit, 1e-9) / fit->mean_life, 1.0, 1e-6) << distribution_name(d);
    EXPECT_GT(mean_residual_life(*fit, 300), 0) << distribution_name(d);
  }
  const auto ranked = fit_and_rank(*data, all_distributions());
  ASSERT_EQ(ranked.size(), 7u);
  for (std::size_t i = 1; i < ranked.size(); ++i) EXPECT_LE(ranked[i - 1].aic, ranked[i].aic);
}

// Deterministic draws: fixed seed, inverse-CDF sampling.
struct Simulated {
  std::mt19937_64 rng{20030514};
  double uniform() { return (static_cast<double>(rng() >> 11) + 0.5) * 0x1.0p-53; }
};

// Administrative censoring at `horizon`.
SurvivalData censor_at(const std::vector<double>& lifetimes, double horizon) {
  SurvivalData d;
  for (double t : lifetimes) {
    d.time.push_back(std::min(t, horizon));
    d.event.push_back(t <= horizon ? 1 : 0);
  }
  return d;
}

void expect_within(const ParametricFit& fit, const std::string& name, double truth, double z = 4) {
  const Parameter* p = nullptr;
  for (const auto& q : fit.parameters) {
    if (q.name == name) p = &q;
  }
  for (const auto& q : fit.natural) {
    if (q.name == name) p = &q;
  }
  ASSERT_NE(p, nullptr) << name;
  ASSERT_TRUE(std::isfinite(p->std_error) && p->std_error > 0) << name;
  EXPECT_LE(std::fabs(p->estimate - truth), z * p->std_error)
      << name << ": " << p->estimate << " +- " << p->std_error << ", truth " << truth;
}

TEST(Parametric, GompertzRecoversSimulatedParameters) {
  // Hazard a exp(b t): a = 0.02 per year, b = 0.3 per year; censored at 12 years.
  const double a = 0.02, b = 0.3;
  Simulated sim;
  std::vector<double> t(20000);
  for (auto& x : t) x = std::log1p(-b * std::log(sim.uniform()) / a) / b;
  auto fit = fit_parametric(censor_at(t, 12.0), Distribution::kGompertz);
  ASSERT_TRUE(fit) << fit.error().message;
  EXPECT_TRUE(fit->converged);
  expect_within(*fit, "log_a", std::log(a));
  expect_within(*fit, "b", b);
  expect_within(*fit, "a", a);
  const double true_half_life = std::log1p(b * std::log(2.0) / a) / b;
  EXPECT_NEAR(fit->half_life / true_half_life, 1.0, 0.03);
  EXPECT_NEAR(fitted_survival(*fit, fit->half_life), 0.5, 1e-9);
}

TEST(Parametric, GompertzWithNegativeBHasAPlateau) {
  // b < 0: a share exp(a / b) = exp(-0.5) = 0.61 never fails.
  const double a = 0.5, b = -1.0;
  Simulated sim;
  std::vector<double> t(20000);
  for (auto& x : t) {
    const double arg = 1 - b * std::log(sim.uniform()) / a;  // may be <= 0: lives for ever
    x = arg > 0 ? std::log(arg) / b : 1e9;
  }
  auto fit = fit_parametric(censor_at(t, 10.0), Distribution::kGompertz);
  ASSERT_TRUE(fit) << fit.error().message;
  expect_within(*fit, "a", a);
  expect_within(*fit, "b", b);
  EXPECT_TRUE(std::isnan(fit->half_life));
  EXPECT_TRUE(std::isinf(fit->mean_life));
}

TEST(Parametric, ExponentialMixtureRecoversParametersAndBeatsExponential) {
  // 30% short-lived (mean 0.5 years), 70% long-lived (mean 6 years); censored at 13 years.
  const double p = 0.3, m1 = 0.5, m2 = 6.0;
  Simulated sim;
  std::vector<double> t(20000);
  for (auto& x : t) {
    const double m = sim.uniform() < p ? m1 : m2;
    x = -m * std::log(sim.uniform());
  }
  const SurvivalData data = censor_at(t, 13.0);
  auto mix = fit_parametric(data, Distribution::kExponentialMixture);
  ASSERT_TRUE(mix) << mix.error().message;
  EXPECT_TRUE(mix->converged);
  expect_within(*mix, "p", p);
  expect_within(*mix, "mean1", m1);
  expect_within(*mix, "mean2", m2);
  auto single = fit_parametric(data, Distribution::kExponential);
  ASSERT_TRUE(single);
  EXPECT_LT(mix->aic, single->aic - 100);
  // The Weibull mixture nests the exponential one: it can only fit as well or better.
  auto wmix = fit_parametric(data, Distribution::kWeibullMixture);
  ASSERT_TRUE(wmix) << wmix.error().message;
  EXPECT_GE(wmix->log_likelihood, mix->log_likelihood - 1e-6);
  expect_within(*wmix, "rho1", 1.0);
  expect_within(*wmix, "rho2", 1.0);
  const auto ranked = fit_and_rank(data, all_distributions());
  ASSERT_FALSE(ranked.empty());
  EXPECT_TRUE(ranked[0].distribution == Distribution::kExponentialMixture ||
              ranked[0].distribution == Distribution::kWeibullMixture)
      << distribution_name(ranked[0].distribution);
}

TEST(Parametric, WeibullMixtureRecoversSimulatedParameters) {
  // 40% Weibull(scale 1, shape 0.7), 60% Weibull(scale 8, shape 2.5); censored at 15.
  const double p = 0.4, l1 = 1.0, r1 = 0.7, l2 = 8.0, r2 = 2.5;
  Simulated sim;
  std::vector<double> t(20000);
  for (auto& x : t) {
    const bool first = sim.uniform() < p;
    const double e = -std::log(sim.uniform());
    x = first ? l1 * std::pow(e, 1 / r1) : l2 * std::pow(e, 1 / r2);
  }
  auto fit = fit_parametric(censor_at(t, 15.0), Distribution::kWeibullMixture);
  ASSERT_TRUE(fit) << fit.error().message;
  EXPECT_TRUE(fit->converged);
  expect_within(*fit, "p", p);
  expect_within(*fit, "lambda1", l1);
  expect_within(*fit, "rho1", r1);
  expect_within(*fit, "lambda2", l2);
  expect_within(*fit, "rho2", r2);
}

TEST(Parametric, LeftTruncationRemovesTheBias) {
  // Weibull(scale 5, shape 1.5) lifetimes seen only if they outlive a uniform entry in [0, 4].
  const double lambda = 5.0, rho = 1.5;
  Simulated sim;
  SurvivalData data;
  while (data.size() < 20000) {
    const double life = lambda * std::pow(-std::log(sim.uniform()), 1 / rho);
    const double entry = 4 * sim.uniform();
    if (life <= entry) continue;
    data.entry.push_back(entry);
    data.time.push_back(std::min(life, 20.0));
    data.event.push_back(life <= 20.0 ? 1 : 0);
  }
  auto fit = fit_parametric(data, Distribution::kWeibull);
  ASSERT_TRUE(fit) << fit.error().message;
  expect_within(*fit, "lambda_", lambda);
  expect_within(*fit, "rho_", rho);
  SurvivalData naive = data;
  naive.entry.clear();
  auto biased = fit_parametric(naive, Distribution::kWeibull);
  ASSERT_TRUE(biased);
  EXPECT_GT(parameter(*biased, "lambda_") - lambda, 10 * biased->natural[1].std_error);
}

TEST(Parametric, RejectsBadInput) {
  SurvivalData none;
  none.time = {1, 2};
  none.event = {0, 0};
  EXPECT_FALSE(fit_parametric(none, Distribution::kWeibull));
  SurvivalData zero;
  zero.time = {0, 2};
  zero.event = {1, 1};
  EXPECT_FALSE(fit_parametric(zero, Distribution::kWeibull));
  EXPECT_TRUE(fit_parametric(zero, Distribution::kExponentialMixture));
  EXPECT_FALSE(parse_distribution("linear"));
}

}  // namespace
}  // namespace iotcensus::analyze

// Tests the straight line against R's lm() run live, and the population curves and their
// projections on series simulated from known births and known survival laws with Poisson noise.
#include "analyze/population_curve.h"

#include <gtest/gtest.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <random>

#include "analyze/daily_series.h"
#include "analyze/linear_decline.h"
#include "analyze/population_projection.h"
#include "support/survival_sets.h"
#include "support/test_support.h"

namespace iotcensus::analyze {
namespace {

using iotcensus::testing::parse_table;
using iotcensus::testing::quote;
using iotcensus::testing::Table;
using iotcensus::testing::TempDir;

// Births: a wave of devices sold over `days` days (rising, then falling), none afterwards.
DailySeries birth_wave(int64_t first_day, int64_t days, double per_day) {
  DailySeries b;
  for (int64_t i = 0; i < days; ++i) {
    const double x = (static_cast<double>(i) + 0.5) / static_cast<double>(days);
    b.day.push_back(first_day + i);
    b.value.push_back(std::round(per_day * 4 * x * (1 - x)));
  }
  return b;
}

// The exact population, sum over births(s) S(t - s) for a survival function `s`, on every day
// in [from, to] (computed here, independently of the library's convolution).
template <class Survival>
DailySeries true_population(const DailySeries& births, int64_t from, int64_t to, Survival s,
                            double share = 1) {
  DailySeries p;
  for (int64_t t = from; t <= to; ++t) {
    double n = 0;
    for (std::size_t i = 0; i < births.size(); ++i) {
      if (births.day[i] <= t) n += births.value[i] * s(static_cast<double>(t - births.day[i]));
    }
    p.day.push_back(t);
    p.value.push_back(share * n);
  }
  return p;
}

// Poisson counts around the exact population (fixed seed).
DailySeries with_poisson_noise(DailySeries p, uint64_t seed) {
  std::mt19937_64 rng(seed);
  for (double& v : p.value) v = static_cast<double>(std::poisson_distribution<int64_t>(v)(rng));
  return p;
}

const Parameter& find(const PopulationCurveFit& fit, const std::string& name) {
  for (const auto& q : fit.survival.parameters) {
    if (q.name == name) return q;
  }
  for (const auto& q : fit.survival.natural) {
    if (q.name == name) return q;
  }
  static const Parameter none{"none", NAN, NAN};
  ADD_FAILURE() << "no parameter " << name;
  return none;
}

void expect_within(const PopulationCurveFit& fit, const std::string& name, double truth,
                   double z = 4) {
  const Parameter& p = find(fit, name);
  ASSERT_TRUE(std::isfinite(p.std_error) && p.std_error > 0) << name << " se " << p.std_error;
  EXPECT_LE(std::fabs(p.estimate - truth), z * p.std_error)
      << name << ": " << p.estimate << " +- " << p.std_error << ", truth " << truth;
}

double weibull_s(double t, double lambda, double rho) {
  return std::exp(-std::pow(t / lambda, rho));
}

TEST(LinearDecline, ExactLineIsRecoveredExactly) {
  DailySeries s;
  for (int64_t d = 12000; d < 12100; ++d) {
    s.day.push_back(d);
    s.value.push_back(500000.0 - 37.5 * static_cast<double>(d));
  }
  auto fit = fit_linear_decline(s);
  ASSERT_TRUE(fit) << fit.error().message;
  EXPECT_NEAR(fit->slope, -37.5, 1e-10);
  EXPECT_NEAR(fit->intercept / 500000.0, 1.0, 1e-12);
  EXPECT_LT(fit->rss, 1e-12);
  EXPECT_NEAR(fit->zero_day, 500000.0 / 37.5, 1e-6);
  EXPECT_NEAR(fit->r_squared, 1.0, 1e-12);
}

TEST(LinearDecline, MatchesLiveRLm) {
  ASSERT_TRUE(iotcensus::testing::has_tool("Rscript"))
      << "Rscript is required (scripts/setup installs r-base-core)";
  // A falling, noisy count over dates (day numbers near 12,000: precision matters).
  std::mt19937_64 rng(7);
  std::normal_distribution<double> noise(0, 800);
  DailySeries s;
  for (int64_t d = 12100; d < 12100 + 900; d += 3) {
    s.day.push_back(d);
    s.value.push_back(std::max(0.0, 90000 - 21.25 * static_cast<double>(d - 12100) + noise(rng)));
  }
  TempDir dir;
  {
    std::ofstream out(dir.file("series.csv"));
    out << "day,count\n";
    char buf[96];
    for (std::size_t i = 0; i < s.size(); ++i) {
      std::snprintf(buf, sizeof buf, "%lld,%.17g\n", static_cast<long long>(s.day[i]), s.value[i]);
      out << buf;
    }
  }
  {
    std::ofstream out(dir.file("lm.R"));
    out << "d <- read.csv('" << dir.file("series.csv")
        << "')\n"
           "f <- lm(count ~ day, data = d)\n"
           "s <- summary(f)\n"
           "v <- c(coef(f), s$coefficients[, 2], vcov(f)[1, 2], deviance(f), s$sigma,\n"
           "       s$r.squared, as.numeric(logLik(f)), AIC(f), BIC(f))\n"
           "cat('a,b,se_a,se_b,cov_ab,rss,sigma,r2,loglik,aic,bic\\n')\n"
           "cat(paste(sprintf('%.17g', v), collapse = ','), '\\n', sep = '')\n";
  }
  const auto r = iotcensus::testing::run("Rscript " + quote(dir.file("lm.R")));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const Table want = parse_table(r.out);
  ASSERT_EQ(want.cells.size(), 1u) << r.out;
  auto fit = fit_linear_decline(s);
  ASSERT_TRUE(fit) << fit.error().message;
  const std::pair<const char*, double> got[] = {{"a", fit->intercept},
                                                {"b", fit->slope},
                                                {"se_a", fit->intercept_std_error},
                                                {"se_b", fit->slope_std_error},
                                                {"cov_ab", fit->covariance},
                                                {"rss", fit->rss},
                                                {"sigma", fit->sigma},
                                                {"r2", fit->r_squared},
                                                {"loglik", fit->log_likelihood},
                                                {"aic", fit->aic},
                                                {"bic", fit->bic}};
  for (const auto& [name, value] : got) {
    const double w = want.number(0, name);
    EXPECT_LE(std::fabs(value - w), 1e-8 * std::fabs(w)) << name << ": " << value << " vs R " << w;
  }
  EXPECT_EQ(fit->n_parameters, 3);  // R's logLik(lm) df
}

TEST(PopulationCurve, WeibullRecoveredFromPoissonCounts) {
  // 600 days of births, 3,000 days of counts; Weibull(scale 900 d, shape 0.8).
  const double lambda = 900, rho = 0.8;
  const DailySeries births = birth_wave(0, 600, 400);
  const DailySeries truth =
      true_population(births, 0, 2999, [&](double t) { return weibull_s(t, lambda, rho); });
  const DailySeries counts = with_poisson_noise(truth, 11);
  auto fit = fit_population_curve(counts, births, Distribution::kWeibull);
  ASSERT_TRUE(fit) << fit.error().message;
  EXPECT_TRUE(fit->converged);
  expect_within(*fit, "lambda_", lambda);
  expect_within(*fit, "rho_", rho);
  expect_within(*fit, "intercept", std::log(lambda));
  EXPECT_NEAR(find(*fit, "lambda_").estimate / lambda, 1.0, 0.02);
  EXPECT_NEAR(find(*fit, "rho_").estimate / rho, 1.0, 0.02);
  // Poisson noise: the residual deviation is about the square root of the counts.
  EXPECT_EQ(fit->n, 3000);
  EXPECT_EQ(fit->n_parameters, 3);
  EXPECT_EQ(fit->fitted.size(), 3000u);
}

TEST(PopulationCurve, ExponentialWithShareRecovered) {
  // Only 40% of the living devices are seen; exponential with mean 500 days.
  const double mean = 500, share = 0.4;
  const DailySeries births = birth_wave(100, 300, 1000);
  const DailySeries truth = true_population(
      births, 100, 2099, [&](double t) { return std::exp(-t / mean); }, share);
  const DailySeries counts = with_poisson_noise(truth, 12);
  PopulationCurveOptions options;
  options.fit_share = true;
  auto fit = fit_population_curve(counts, births, Distribution::kExponential, options);
  ASSERT_TRUE(fit) << fit.error().message;
  EXPECT_TRUE(fit->converged);
  expect_within(*fit, "lambda_", mean);
  ASSERT_TRUE(std::isfinite(fit->share_std_error) && fit->share_std_error > 0);
  EXPECT_LE(std::fabs(fit->share - share), 4 * fit->share_std_error)
      << fit->share << " +- " << fit->share_std_error;
  EXPECT_EQ(fit->n_parameters, 3);  // mean, share, variance
}

// Netgear-like: a short-lived part (30%, mean 150 d) and a long-lived part (mean 2,500 d).
struct MixtureCase {
  double p = 0.3, m1 = 150, m2 = 2500;
  DailySeries births = birth_wave(12000, 500, 2000);  // dates from 2002-11-09
  double s(double t) const { return p * std::exp(-t / m1) + (1 - p) * std::exp(-t / m2); }
};

TEST(PopulationCurve, MixtureBeatsLineAndExponentialAndRecoversParameters) {
  const MixtureCase m;
  const DailySeries truth =
      true_population(m.births, 12000, 12000 + 4999, [&](double t) { return m.s(t); });
  DailySeries counts = with_poisson_noise(truth, 13);
  counts.dates = true;
  DailySeries births = m.births;
  births.dates = true;
  const auto start = std::chrono::steady_clock::now();
  const auto fits = fit_population_curves(counts, births, all_distributions());
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::printf("all seven population curves on 5,000 days (500 birth days): %.2f s\n", seconds);
  ASSERT_EQ(fits.size(), 7u);
  const PopulationCurveFit* mix = nullptr;
  const PopulationCurveFit* single = nullptr;
  for (const auto& f : fits) {
    if (f.distribution() == Distribution::kExponentialMixture) mix = &f;
    if (f.distribution() == Distribution::kExponential) single = &f;
  }
  ASSERT_TRUE(mix && single);
  EXPECT_TRUE(mix->converged);
  expect_within(*mix, "p", m.p);
  expect_within(*mix, "mean1", m.m1);
  expect_within(*mix, "mean2", m.m2);
  auto line = fit_linear_decline(counts);
  ASSERT_TRUE(line);
  EXPECT_LT(mix->aic, single->aic - 100);
  EXPECT_LT(mix->aic, line->aic - 100);
  const auto ranked = rank_population_models(&*line, fits);
  ASSERT_EQ(ranked.size(), 8u);
  EXPECT_TRUE(ranked[0].model == "exponential-mixture" || ranked[0].model == "weibull-mixture")
      << ranked[0].model;
  EXPECT_EQ(ranked[0].delta_aic, 0);
  for (std::size_t i = 1; i < ranked.size(); ++i) EXPECT_LE(ranked[i - 1].aic, ranked[i].aic);
}

TEST(PopulationCurve, ProjectionIntervalContainsTheTrueCrossing) {
  // Fit the first 2,500 days, then ask when fewer than 100,000 remain.
  const MixtureCase m;
  const DailySeries truth =
      true_population(m.births, 12000, 12000 + 2499, [&](double t) { return m.s(t); });
  const DailySeries counts = with_poisson_noise(truth, 14);
  auto fit = fit_population_curve(counts, m.births, Distribution::kExponentialMixture);
  ASSERT_TRUE(fit) << fit.error().message;
  ProjectionOptions options;
  options.below = 100000;
  options.horizon_days = 3650;
  options.step_days = 365;
  const Projection proj = project_population(*fit, counts, m.births, options);
  // The true crossing, by scanning the exact curve day by day.
  double true_day = NAN;
  for (int64_t t = counts.day.back(); t < counts.day.back() + 20000; ++t) {
    double n = 0;
    for (std::size_t i = 0; i < m.births.size(); ++i) {
      n += m.births.value[i] * m.s(static_cast<double>(t - m.births.day[i]));
    }
    if (n < options.below) {
      true_day = static_cast<double>(t);
      break;
    }
  }
  ASSERT_TRUE(std::isfinite(true_day));
  EXPECT_EQ(proj.crossing.draws, options.draws);
  EXPECT_LE(proj.crossing.lower, true_day);
  EXPECT_GE(proj.crossing.upper, true_day);
  EXPECT_LE(proj.crossing.lower, proj.crossing.day);
  EXPECT_GE(proj.crossing.upper, proj.crossing.day);
  EXPECT_LT(proj.crossing.upper - proj.crossing.lower, 1000);
  // The projected curve at the point estimate is the model's count.
  ASSERT_EQ(proj.points.size(), 11u);
  const double at = population_count(Distribution::kExponentialMixture, fit->estimates(), false,
                                     m.births, proj.points[3].day);
  EXPECT_NEAR(proj.points[3].count / at, 1.0, 1e-12);
  EXPECT_LE(proj.points[3].lower, proj.points[3].count);
  EXPECT_GE(proj.points[3].upper, proj.points[3].count);
  // On the point estimate, the crossing day is the first day below the threshold.
  const double before = population_count(Distribution::kExponentialMixture, fit->estimates(), false,
                                         m.births, static_cast<int64_t>(proj.crossing.day) - 1);
  const double after = population_count(Distribution::kExponentialMixture, fit->estimates(), false,
                                        m.births, static_cast<int64_t>(proj.crossing.day));
  EXPECT_GE(before, options.below);
  EXPECT_LT(after, options.below);
}

TEST(PopulationCurve, LinearProjectionCrossesWhereTheLineDoes) {
  DailySeries s;
  std::mt19937_64 rng(5);
  std::normal_distribution<double> noise(0, 50);
  for (int64_t d = 0; d < 400; ++d) {
    s.day.push_back(d);
    s.value.push_back(20000 - 10 * static_cast<double>(d) + noise(rng));
  }
  auto line = fit_linear_decline(s);
  ASSERT_TRUE(line);
  ProjectionOptions options;
  options.below = 5000;
  const Projection proj = project_linear(*line, s, options);
  const double exact = std::ceil((options.below - line->intercept) / line->slope);
  // First whole day strictly below the threshold.
  const double expected = line->at(exact) < options.below ? exact : exact + 1;
  EXPECT_EQ(proj.crossing.day, expected);
  // Truth: 20000 - 10 t < 5000 first on day 1501.
  EXPECT_LE(proj.crossing.lower, 1501);
  EXPECT_GE(proj.crossing.upper, 1501);
}

TEST(PopulationCurve, FiveThousandDaysOfDailyBirthsFitInSeconds) {
  // Births on every one of 5,000 days (the O(days^2) worst case), Weibull survival.
  DailySeries births;
  for (int64_t d = 0; d < 5000; ++d) {
    births.day.push_back(d);
    births.value.push_back(100 + 50 * std::sin(static_cast<double>(d) / 300));
  }
  const DailySeries truth =
      true_population(births, 0, 4999, [](double t) { return weibull_s(t, 1200, 1.3); });
  const DailySeries counts = with_poisson_noise(truth, 15);
  const auto start = std::chrono::steady_clock::now();
  auto fit = fit_population_curve(counts, births, Distribution::kWeibull);
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::printf("weibull population curve, 5,000 days with daily births: %.2f s\n", seconds);
  ASSERT_TRUE(fit) << fit.error().message;
  expect_within(*fit, "lambda_", 1200);
  expect_within(*fit, "rho_", 1.3);
  EXPECT_LT(seconds, 30);
}

TEST(PopulationCurve, RejectsBadInput) {
  DailySeries pop;
  pop.day = {0, 1, 2, 3, 4};
  pop.value = {5, 4, 3, 2, 1};
  DailySeries none;
  EXPECT_FALSE(fit_population_curve(pop, none, Distribution::kExponential));
  DailySeries late;
  late.day = {10};
  late.value = {5};
  EXPECT_FALSE(fit_population_curve(pop, late, Distribution::kExponential));
  DailySeries dated = pop;
  dated.dates = true;
  DailySeries births;
  births.day = {0};
  births.value = {5};
  EXPECT_FALSE(fit_population_curve(dated, births, Distribution::kExponential));
  DailySeries short_series;
  short_series.day = {0, 1};
  short_series.value = {5, 4};
  EXPECT_FALSE(fit_linear_decline(short_series));
  EXPECT_FALSE(fit_population_curve(short_series, births, Distribution::kWeibull));
}

TEST(DailySeries, LoadsDatesAndNumbersAndNamesBadLines) {
  TempDir dir;
  std::ofstream(dir.file("a.csv")) << "day,count\n2003-05-15,7\n2003-05-14,9\n";
  auto a = load_daily_series_csv(dir.file("a.csv"), "count");
  ASSERT_TRUE(a) << a.error().message;
  EXPECT_TRUE(a->dates);
  ASSERT_EQ(a->size(), 2u);
  EXPECT_EQ(a->day[0], 12186);  // 2003-05-14 is day 12,186 after 1970-01-01
  EXPECT_EQ(a->value[0], 9);
  EXPECT_EQ(format_day(a->day[1], true), "2003-05-15");
  std::ofstream(dir.file("b.csv")) << "d,births\n3,1\n1,2.5\n";
  auto b = load_daily_series_csv(dir.file("b.csv"), "births");
  ASSERT_TRUE(b) << b.error().message;
  EXPECT_FALSE(b->dates);
  EXPECT_EQ(b->day[0], 1);
  EXPECT_EQ(b->value[0], 2.5);
  std::ofstream(dir.file("c.csv")) << "day,count\n1,2\n2,x\n";
  auto c = load_daily_series_csv(dir.file("c.csv"), "count");
  ASSERT_FALSE(c);
  EXPECT_NE(c.error().message.find("line 3"), std::string::npos) << c.error().message;
  std::ofstream(dir.file("d.csv")) << "day,count\n1,2\n2003-01-01,2\n";
  EXPECT_FALSE(load_daily_series_csv(dir.file("d.csv"), "count"));
  std::ofstream(dir.file("e.csv")) << "day,count\n1,2\n1,3\n";
  auto e = load_daily_series_csv(dir.file("e.csv"), "count");
  ASSERT_FALSE(e);
  EXPECT_NE(e.error().message.find("twice"), std::string::npos) << e.error().message;
}

}  // namespace
}  // namespace iotcensus::analyze

// Goodness of fit of the generator with fixed seeds: births and lifetimes against their
// configured distributions (Kolmogorov-Smirnov), cadence shares (chi-square), intervals, on-line
// share; the RNG's stability; scenario errors that name file, cohort and key.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <vector>

#include "core/time_bin.h"
#include "simulate/population.h"
#include "simulate/rng.h"
#include "simulate/scenario.h"
#include "simulate/schedule.h"
#include "support/test_support.h"

namespace iotcensus::simulate {
namespace {

// D_n = sup |F_n(x) - F(x)| of a sample against a CDF.
template <class Cdf>
double ks_statistic(std::vector<double> xs, Cdf cdf) {
  std::sort(xs.begin(), xs.end());
  const double n = static_cast<double>(xs.size());
  double d = 0;
  for (size_t i = 0; i < xs.size(); ++i) {
    const double f = cdf(xs[i]);
    d = std::max({d, std::fabs(f - static_cast<double>(i) / n),
                  std::fabs(static_cast<double>(i + 1) / n - f)});
  }
  return d;
}
// Asymptotic critical value of D_n at alpha = 0.001.
double ks_critical(size_t n) {
  return 1.949 / std::sqrt(static_cast<double>(n));
}

Scenario load(const std::string& name) {
  auto s = load_scenario_file(testing::source_dir() + "/scenarios/" + name + ".toml");
  EXPECT_TRUE(s.has_value()) << s.error().message;
  return std::move(s).value();
}

TEST(SimulateGenerator, RngIsStableAcrossBuilds) {
  Rng rng(42);
  // Pinned outputs: a change here changes every simulated file.
  const uint64_t a = rng.next(), b = rng.next();
  Rng again(42);
  EXPECT_EQ(again.next(), a);
  EXPECT_EQ(again.next(), b);
  EXPECT_EQ(mix64(0), 0xe220a8397b1dcdafULL);
  double sum = 0;
  for (int i = 0; i < 100000; ++i) sum += rng.unit();
  EXPECT_NEAR(sum / 100000, 0.5, 0.005);
}

TEST(SimulateGenerator, BirthsFollowTheCurve) {
  for (const char* name : {"netgear-2003", "modern-mix"}) {
    const Scenario sc = load(name);
    const Population pop = make_population(sc, 0.01, 1);
    for (size_t ci = 0; ci < sc.cohorts.size(); ++ci) {
      std::vector<double> births;
      for (const auto& d : pop.devices) {
        if (d.cohort == ci) births.push_back(static_cast<double>(d.birth_ns) / 1e9);
      }
      ASSERT_GT(births.size(), 100u);
      const double dn =
          ks_statistic(births, [&](double t) { return sc.cohorts[ci].births.cdf(t); });
      EXPECT_LT(dn, ks_critical(births.size())) << name << " cohort " << sc.cohorts[ci].name;
    }
  }
}

TEST(SimulateGenerator, LifetimesFollowTheirDistribution) {
  for (const char* name : {"netgear-2003", "modern-mix"}) {
    const Scenario sc = load(name);
    const Population pop = make_population(sc, 0.01, 2);
    for (size_t ci = 0; ci < sc.cohorts.size(); ++ci) {
      std::vector<double> days;
      for (const auto& d : pop.devices) {
        if (d.cohort == ci) days.push_back(static_cast<double>(d.death_ns - d.birth_ns) / 86400e9);
      }
      const double dn =
          ks_statistic(days, [&](double t) { return sc.cohorts[ci].lifetime.cdf(t); });
      EXPECT_LT(dn, ks_critical(days.size())) << name << " cohort " << sc.cohorts[ci].name;
    }
  }
  // The netgear departures are not one exponential: the same sample rejects the exponential of
  // equal mean, and some devices outlive ten years.
  const Scenario sc = load("netgear-2003");
  const Population pop = make_population(sc, 0.01, 2);
  std::vector<double> days;
  double mean = 0;
  for (const auto& d : pop.devices)
    days.push_back(static_cast<double>(d.death_ns - d.birth_ns) / 86400e9);
  for (double x : days) mean += x / static_cast<double>(days.size());
  EXPECT_GT(ks_statistic(days, [&](double t) { return 1 - std::exp(-t / mean); }),
            ks_critical(days.size()));
  const auto old = std::count_if(days.begin(), days.end(), [](double x) { return x > 3652.5; });
  EXPECT_GT(old, static_cast<long>(days.size() / 20));
}

TEST(SimulateGenerator, CadencesAndOnlineShare) {
  const Scenario sc = load("netgear-2003");
  const Population pop = make_population(sc, 0.01, 3);
  const Schedule schedule(sc, pop, 3);
  const auto& client = sc.cohorts[0].client;
  // Shares of the answered cadences: chi-square, 3 degrees of freedom, alpha 0.001 -> 16.27.
  std::vector<double> counts(client.answered.size(), 0);
  for (const auto& d : pop.devices) counts[d.cadence] += 1;
  double chi2 = 0;
  for (size_t k = 0; k < counts.size(); ++k) {
    const double expected = client.answered[k].share * static_cast<double>(pop.devices.size());
    chi2 += (counts[k] - expected) * (counts[k] - expected) / expected;
  }
  EXPECT_LT(chi2, 16.27);

  // Intervals: answered on 2003-09-10, unanswered (flood) on 2003-06-01, zombies always flood.
  DayPlan plan;
  for (const auto& [day, flood] : {std::pair{"2003-09-10", false}, std::pair{"2003-06-01", true}}) {
    const int64_t day_s = *core::parse_iso8601(day);
    uint64_t alive = 0, online = 0;
    for (uint32_t id = 0; id < pop.devices.size(); ++id) {
      const Device& d = pop.devices[id];
      if (d.birth_ns >= day_s * 1'000'000'000 || d.death_ns <= (day_s + 86400) * 1'000'000'000)
        continue;
      ++alive;
      schedule.plan_day(id, day_s, plan);
      if (plan.sent == 0) continue;
      ++online;
      for (const auto& s : plan.segments) {
        const double nominal = (flood || d.zombie) ? client.unanswered_interval_s
                                                   : client.answered[d.cadence].interval_s;
        const double ratio = static_cast<double>(s.interval_ns) / 1e9 / nominal;
        ASSERT_NEAR(ratio, 1.0, client.interval_spread + 1e-6) << day << " device " << id;
        EXPECT_EQ(s.unanswered, flood || d.zombie);
        // Every request of the day is counted: a full day of requests at this interval.
        EXPECT_NEAR(static_cast<double>(plan.sent), 86400e9 / static_cast<double>(s.interval_ns),
                    1.0);
      }
    }
    // On-line share: binomial, within 4 standard deviations of 0.9.
    const double p = static_cast<double>(online) / static_cast<double>(alive);
    EXPECT_NEAR(p, 0.9, 4 * std::sqrt(0.9 * 0.1 / static_cast<double>(alive))) << day;
  }
}

TEST(SimulateGenerator, ScenarioErrorsNameFileCohortAndKey) {
  const std::string base = R"([scenario]
name = "x"
start = "2003-05-01"
end = "2003-06-01"
[vantage]
server = "128.105.39.11"
[[cohort]]
name = "routers"
class = "c"
count = 10
  [cohort.client]
  request_hex = "0b0000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000"
  src_port = 23457
  unanswered_interval_s = 1.08
  answered = [ { interval_s = 60 } ]
  [cohort.births]
  curve = [ ["2003-05-01", 1.0], ["2003-05-10", 1.0] ]
  [[cohort.lifetime]]
  kind = "weibull"
  shape = 2
  scale_days = 100
)";
  ASSERT_TRUE(parse_scenario(base, "ok.toml").has_value())
      << parse_scenario(base, "ok.toml").error().message;
  auto typo = parse_scenario(base + "  [cohort.activity]\n  online_shar = 0.5\n", "typo.toml");
  ASSERT_FALSE(typo.has_value());
  EXPECT_NE(typo.error().message.find("typo.toml"), std::string::npos);
  EXPECT_NE(typo.error().message.find("cohort 'routers'"), std::string::npos);
  EXPECT_NE(typo.error().message.find("online_shar"), std::string::npos);
  std::string bad = base;
  bad.replace(bad.find("shape = 2"), 9, "shape = -1");
  auto range = parse_scenario(bad, "range.toml");
  ASSERT_FALSE(range.has_value());
  EXPECT_NE(range.error().message.find("'shape'"), std::string::npos) << range.error().message;
  EXPECT_NE(range.error().message.find("lifetime[0]"), std::string::npos) << range.error().message;
  EXPECT_FALSE(resolve_scenario("no-such-scenario").has_value());
}

}  // namespace
}  // namespace iotcensus::simulate

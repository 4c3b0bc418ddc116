// Tests the per-source cadence histogram: medians of regular sources at the cadences the census
// must tell apart, spread, merging and saturation.
#include "classify/cadence.h"

#include <gtest/gtest.h>

#include <cmath>
#include <random>

namespace iotcensus::classify {
namespace {

CadenceHistogram regular(double interval_s, int n, double jitter_s, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> j(-jitter_s, jitter_s);
  CadenceHistogram h;
  for (int i = 0; i < n; ++i) h.add_interval_ns(static_cast<int64_t>((interval_s + j(rng)) * 1e9));
  return h;
}

TEST(Cadence, MedianWithinABucketOfTheTrueInterval) {
  // One bucket spans a factor 2^(1/3) = 1.26; the estimate is within that of the truth.
  for (double s : {1.08, 15.0, 60.0, 64.0, 600.0, 1024.0, 7200.0, 86400.0}) {
    auto h = regular(s, 200, s * 0.01, 42);
    const double m = h.median_s();
    EXPECT_LT(std::abs(std::log2(m / s)), 1.0 / 3) << s << " -> " << m;
    EXPECT_LT(h.spread_octaves(), 0.34) << s;
  }
}

TEST(Cadence, TellsTheNetgearCadencesApart) {
  const double flood = regular(1.08, 100, 0.01, 1).median_s();
  const double answered60 = regular(60, 100, 0.5, 2).median_s();
  const double ntp = regular(512, 100, 5, 3).median_s();
  const double answered600 = regular(600, 100, 5, 4).median_s();
  EXPECT_LT(flood, 1.5);
  EXPECT_GT(flood, 0.8);
  EXPECT_GT(answered60, 50);
  EXPECT_LT(answered60, 75);
  EXPECT_GT(ntp, 76);
  EXPECT_LT(ntp, 1200);
  EXPECT_GT(answered600, 480);
  EXPECT_LT(answered600, 750);
}

TEST(Cadence, SpreadGrowsForIrregularSources) {
  std::mt19937_64 rng(7);
  std::exponential_distribution<double> e(1.0 / 60);
  CadenceHistogram h;
  for (int i = 0; i < 500; ++i) h.add_interval_ns(static_cast<int64_t>(e(rng) * 1e9));
  // Exponential inter-arrivals: q3/q1 = ln 4 / ln(4/3) = 4.82, log2 = 2.27 octaves.
  EXPECT_NEAR(h.spread_octaves(), 2.27, 0.5);
}

TEST(Cadence, MergeIsAdditionAndSaturationKeepsProportions) {
  auto a = regular(1.08, 100, 0.001, 1);
  auto b = regular(60, 50, 0.1, 2);
  auto m = a;
  m.merge(b);
  EXPECT_EQ(m.intervals(), 150u);
  EXPECT_LT(m.median_s(), 1.5);  // two thirds are the 1.08 s intervals
  CadenceHistogram big;
  for (int i = 0; i < 10000; ++i) big.add_interval_ns(1'080'000'000);
  for (int i = 0; i < 5000; ++i) big.add_interval_ns(60'000'000'000);
  EXPECT_LE(big.intervals(), 2u * 255);
  EXPECT_NEAR(static_cast<double>(big.estimated_intervals()), 15000.0, 15000.0 * 0.1);
  EXPECT_LT(big.median_s(), 1.5);  // two thirds were 1.08 s, although they came first
  EXPECT_NEAR(big.quantile_s(0.9), 60, 12);
  auto round_trip = CadenceHistogram::from_bytes(big.to_bytes());
  EXPECT_EQ(round_trip.intervals(), big.intervals());
  EXPECT_EQ(round_trip.estimated_intervals(), big.estimated_intervals());
  // Merging two saturated histograms keeps their proportions too.
  CadenceHistogram late;
  for (int i = 0; i < 20000; ++i) late.add_interval_ns(600'000'000'000);
  auto merged = big;
  merged.merge(late);
  EXPECT_NEAR(static_cast<double>(merged.estimated_intervals()), 35000.0, 35000.0 * 0.15);
  EXPECT_GT(merged.median_s(), 400);  // 20000 of 35000 intervals are 600 s
  // Merged into an empty histogram (a source's first capture), a saturated one is unchanged.
  CadenceHistogram first;
  first.merge(big);
  EXPECT_EQ(first.buckets(), big.buckets());
  EXPECT_EQ(first.estimated_intervals(), big.estimated_intervals());
}

TEST(Cadence, BulkIntervalsEqualRepeatedOnes) {
  // add_intervals_ns(x, n) must leave the histogram as n calls of add_interval_ns(x) would,
  // across saturation and sampling, also after earlier intervals of another length.
  for (uint64_t n : {1u, 7u, 255u, 256u, 1000u, 80000u}) {
    CadenceHistogram one, bulk;
    for (int i = 0; i < 300; ++i) {
      one.add_interval_ns(60'000'000'000);
      bulk.add_interval_ns(60'000'000'000);
    }
    for (uint64_t i = 0; i < n; ++i) one.add_interval_ns(1'080'000'000);
    bulk.add_intervals_ns(1'080'000'000, n);
    EXPECT_NEAR(static_cast<double>(bulk.estimated_intervals()),
                static_cast<double>(one.estimated_intervals()),
                0.02 * static_cast<double>(one.estimated_intervals()) + 2)
        << n;
    EXPECT_NEAR(bulk.median_s(), one.median_s(), 0.1 * one.median_s()) << n;
    EXPECT_NEAR(bulk.quantile_s(0.9), one.quantile_s(0.9), 0.1 * one.quantile_s(0.9)) << n;
  }
}

TEST(Cadence, EmptyAndTinyIntervals) {
  CadenceHistogram h;
  EXPECT_TRUE(h.empty());
  EXPECT_EQ(h.median_s(), 0.0);
  h.add_interval_ns(0);
  h.add_interval_ns(-5);  // ignored
  EXPECT_EQ(h.intervals(), 1u);
  EXPECT_LT(h.median_s(), 0.125);
}

}  // namespace
}  // namespace iotcensus::classify

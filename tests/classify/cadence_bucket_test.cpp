// Checks the cadence bucket table (bucket_of and in_bucket) against the floating-point
// definition: at every boundary and around it, at the ends of the int64 range, and on random
// intervals across the whole range.
#include "classify/cadence_bucket.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <random>

#include "classify/cadence.h"

namespace iotcensus::classify {
namespace {

const CadenceBucketTable& table() {
  return CadenceBucketTable::instance();
}

// bucket_of and in_bucket agree with the definition (in_bucket for every interval but the
// largest, which bucket_of alone puts in the last bucket).
void expect_same(int64_t ns) {
  const int bucket = cadence_bucket_by_log2(ns);
  ASSERT_EQ(table().bucket_of(ns), bucket) << ns << " ns";
  if (ns == std::numeric_limits<int64_t>::max()) return;
  ASSERT_TRUE(table().in_bucket(ns, bucket)) << ns << " ns";
  if (bucket > 0) {
    ASSERT_FALSE(table().in_bucket(ns, bucket - 1)) << ns << " ns";
  }
  if (bucket + 1 < kCadenceBuckets) {
    ASSERT_FALSE(table().in_bucket(ns, bucket + 1)) << ns << " ns";
  }
}

TEST(CadenceBucket, BoundariesAreWhereTheDefinitionChanges) {
  for (int i = 1; i < kCadenceBuckets; ++i) {
    const int64_t first = table().first_ns(i);
    EXPECT_GE(cadence_bucket_by_log2(first), i) << i;
    EXPECT_LT(cadence_bucket_by_log2(first - 1), i) << i;
    if (i > 1) {
      EXPECT_GT(first, table().first_ns(i - 1)) << i;
    }
    // Near the nominal edge 2^((i-1)/3 - 3) s (within a microsecond).
    const double nominal_ns = std::exp2((i - 1) / 3.0 - 3) * 1e9;
    EXPECT_NEAR(static_cast<double>(first), nominal_ns, 1e3) << i;
  }
  EXPECT_EQ(table().first_ns(1), 125'000'000);  // 1/8 s
}

TEST(CadenceBucket, SameAsTheDefinitionAroundEveryBoundary) {
  for (int i = 1; i < kCadenceBuckets; ++i) {
    const int64_t first = table().first_ns(i);
    for (int64_t d = -1; d <= 1; ++d) expect_same(first + d);
    // Every interval within 20 us of the boundary, then steps growing by powers of two.
    for (int64_t d = -20'000; d <= 20'000; ++d) expect_same(first + d);
    for (int64_t d = 1; d < (int64_t{1} << 40); d *= 2) {
      expect_same(first + d);
      expect_same(first - d);
    }
  }
}

TEST(CadenceBucket, SameAsTheDefinitionAtTheEnds) {
  constexpr int64_t kMin = std::numeric_limits<int64_t>::min();
  constexpr int64_t kMax = std::numeric_limits<int64_t>::max();
  for (int64_t ns : {kMin, kMin + 1, int64_t{-1}, int64_t{0}, int64_t{1}, kMax - 1, kMax}) {
    expect_same(ns);
  }
  EXPECT_EQ(table().bucket_of(kMax), kCadenceBuckets - 1);
  EXPECT_EQ(table().bucket_of(-5), 0);
}

// bucket_of starts from the bucket of the power of two below the interval: both sides of every
// power, and the middle of every octave, where the last of its boundaries may lie.
TEST(CadenceBucket, SameAsTheDefinitionAroundEveryPowerOfTwo) {
  for (int k = 0; k < 63; ++k) {
    const int64_t p = int64_t{1} << k;
    for (int64_t ns : {p - 1, p, p + 1, p + p / 2, p + p / 4 * 3}) expect_same(ns);
  }
}

TEST(CadenceBucket, SameAsTheDefinitionOnRandomIntervals) {
  std::mt19937_64 rng(20240601);
  for (int n = 0; n < 2'000'000; ++n) {
    // Uniform in the number of bits (so that every bucket is hit), then uniform within.
    const int bits = static_cast<int>(rng() % 64);
    const uint64_t v = bits == 0 ? 0 : (rng() >> (64 - bits)) | (uint64_t{1} << (bits - 1));
    const int64_t ns = static_cast<int64_t>(v & 0x7fffffffffffffffULL);
    expect_same(ns);
    expect_same(-ns);
    expect_same(static_cast<int64_t>(rng()));
  }
}

TEST(CadenceBucket, HistogramUsesTheDefinition) {
  // add_interval_ns puts each interval in the bucket the definition names.
  std::mt19937_64 rng(9);
  for (int n = 0; n < 10'000; ++n) {
    const int64_t ns = static_cast<int64_t>(rng() % (int64_t{1} << 47));
    CadenceHistogram h;
    h.add_interval_ns(ns);
    ASSERT_EQ(h.buckets()[static_cast<size_t>(cadence_bucket_by_log2(ns))], 1) << ns;
  }
}

}  // namespace
}  // namespace iotcensus::classify

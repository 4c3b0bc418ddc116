#include "classify/cadence_bucket.h"

#include <cmath>
#include <limits>

namespace iotcensus::classify {

int cadence_bucket_by_log2(int64_t interval_ns) {
  constexpr double kLowest = 0.125;
  constexpr int kBucketsPerOctave = 3;
  const double s = static_cast<double>(interval_ns) * 1e-9;
  if (s < kLowest) return 0;
  const int i = 1 + static_cast<int>(std::floor(std::log2(s / kLowest) * kBucketsPerOctave));
  return i >= kCadenceBuckets ? kCadenceBuckets - 1 : i;
}

CadenceBucketTable::CadenceBucketTable() {
  constexpr int64_t kMax = std::numeric_limits<int64_t>::max();
  first_ns_.fill(kMax);
  first_ns_[0] = std::numeric_limits<int64_t>::min();
  for (int i = 1; i < kCadenceBuckets; ++i) {
    // The smallest interval whose bucket is i or more (kMax is in the last bucket).
    int64_t lo = 0, hi = kMax;
    while (lo < hi) {
      const int64_t mid = lo + (hi - lo) / 2;
      if (cadence_bucket_by_log2(mid) >= i) {
        hi = mid;
      } else {
        lo = mid + 1;
      }
    }
    first_ns_[static_cast<size_t>(i)] = lo;
  }
}

}  // namespace iotcensus::classify

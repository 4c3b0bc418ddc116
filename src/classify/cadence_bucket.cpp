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
  for (int k = 0; k < 63; ++k) {
    octave_bucket_[static_cast<size_t>(k)] =
        static_cast<uint8_t>(bucket_by_search(int64_t{1} << k));
  }
  octave_bucket_[63] = static_cast<uint8_t>(kCadenceBuckets - 1);  // never used: no int64 is 2^63
}

int CadenceBucketTable::bucket_by_search(int64_t interval_ns) const {
  size_t i = 0;
  for (size_t step = kSize / 2; step > 0; step /= 2) {
    i += interval_ns >= first_ns_[i + step] ? step : 0;
  }
  return i < kCadenceBuckets ? static_cast<int>(i) : kCadenceBuckets - 1;
}

}  // namespace iotcensus::classify

// Which bucket of a CadenceHistogram an inter-arrival time falls in: the definition in floating
// point (log2), and the equivalent table of first nanoseconds per bucket used per packet.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>

namespace iotcensus::classify {

// Bucket 0 holds intervals below 1/8 s; bucket i >= 1 covers [2^((i-1)/3 - 3), 2^(i/3 - 3))
// seconds, as 1 + floor(3 log2(s / 0.125)) with s = interval_ns * 1e-9 in double precision; the
// last bucket (kCadenceBuckets - 1) also holds everything above. The definition of the buckets.
int cadence_bucket_by_log2(int64_t interval_ns);

inline constexpr int kCadenceBuckets = 60;

// The same bucket as cadence_bucket_by_log2 for every int64 interval, without libm: the first
// interval of each bucket is found once (binary search on the definition, which is monotone),
// then a bucket is a branch-free binary search among those 59 boundaries.
class CadenceBucketTable {
 public:
  static const CadenceBucketTable& instance() {
    static const CadenceBucketTable table;
    return table;
  }

  int bucket_of(int64_t interval_ns) const {
    size_t i = 0;
    for (size_t step = kSize / 2; step > 0; step /= 2) {
      i += interval_ns >= first_ns_[i + step] ? step : 0;
    }
    return i < kCadenceBuckets ? static_cast<int>(i) : kCadenceBuckets - 1;
  }
  // Smallest interval of bucket i (1 <= i < kCadenceBuckets).
  int64_t first_ns(int i) const { return first_ns_[static_cast<size_t>(i)]; }

 private:
  static constexpr size_t kSize = 64;  // a power of two above kCadenceBuckets
  CadenceBucketTable();
  // [0] is never compared; [kCadenceBuckets, kSize) hold INT64_MAX (bucket_of clamps).
  std::array<int64_t, kSize> first_ns_{};
};

}  // namespace iotcensus::classify

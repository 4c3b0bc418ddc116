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
// interval of each bucket is found once (binary search on the definition, which is monotone).
// Per interval, the power of two below it gives the bucket of that power, and four independent
// comparisons with the next boundaries the rest (an octave holds 3 boundaries).
class CadenceBucketTable {
 public:
  static const CadenceBucketTable& instance() {
    static const CadenceBucketTable table;
    return table;
  }

  int bucket_of(int64_t interval_ns) const {
    const uint64_t u = interval_ns > 0 ? static_cast<uint64_t>(interval_ns) : 1;
    const size_t b = octave_bucket_[static_cast<size_t>(63 - __builtin_clzll(u))];
    const size_t i = b + (interval_ns >= first_ns_[b + 1]) + (interval_ns >= first_ns_[b + 2]) +
                     (interval_ns >= first_ns_[b + 3]) + (interval_ns >= first_ns_[b + 4]);
    return i < kCadenceBuckets ? static_cast<int>(i) : kCadenceBuckets - 1;
  }
  // Whether bucket_of(interval_ns) == bucket, for any interval below INT64_MAX: two comparisons
  // (a source's intervals mostly stay in one bucket).
  bool in_bucket(int64_t interval_ns, int bucket) const {
    const auto b = static_cast<size_t>(bucket);
    return interval_ns >= first_ns_[b] && interval_ns < first_ns_[b + 1];
  }
  // Smallest interval of bucket i (1 <= i < kCadenceBuckets).
  int64_t first_ns(int i) const { return first_ns_[static_cast<size_t>(i)]; }

 private:
  static constexpr size_t kSize = 64;  // a power of two above kCadenceBuckets
  CadenceBucketTable();
  // The bucket of an interval by binary search among first_ns_.
  int bucket_by_search(int64_t interval_ns) const;
  // [0] is INT64_MIN (bucket_of never reads it); [kCadenceBuckets, kSize) hold INT64_MAX
  // (bucket_of clamps).
  std::array<int64_t, kSize> first_ns_{};
  // [k]: the bucket of 2^k ns.
  std::array<uint8_t, 64> octave_bucket_{};
};

}  // namespace iotcensus::classify

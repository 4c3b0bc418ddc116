// Per-source cadence: a 64-byte log-scale histogram of inter-arrival times (three buckets per
// octave from 1/8 s to 29 h, then one overflow bucket), mergeable, with median and quartiles.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>

#include "classify/cadence_bucket.h"

namespace iotcensus::classify {

// Counters are one byte. When one would overflow, all are halved and from then on only every
// 2^shift-th interval is recorded (systematic sampling), so a long capture keeps the proportions
// of early and late intervals instead of forgetting the early ones.
class CadenceHistogram {
 public:
  static constexpr int kBuckets = kCadenceBuckets;
  static constexpr int kMaxShift = 15;
  static constexpr size_t kSerializedSize = 64;
  static constexpr int kBucketsPerOctave = 3;
  static constexpr int kFirstOctave = -3;  // bucket 1 starts at 2^-3 s

  void add_interval_ns(int64_t interval_ns);
  // `count` intervals that fall in `bucket` (bucket_of), exactly as `count` calls of
  // add_interval_ns would record them: for callers that hold back a run of equal buckets.
  void add_to_bucket(int bucket, uint32_t count);
  // The bucket an interval of this length (>= 0) falls in.
  static int bucket_of(int64_t interval_ns) {
    return CadenceBucketTable::instance().bucket_of(interval_ns);
  }
  static bool in_bucket(int64_t interval_ns, int bucket) {
    return CadenceBucketTable::instance().in_bucket(interval_ns, bucket);
  }
  // The same interval `count` times (as count calls of add_interval_ns would, up to sampling).
  void add_intervals_ns(int64_t interval_ns, uint64_t count);
  // Adds another histogram (a later capture of the same source); halves both on overflow.
  void merge(const CadenceHistogram& other);

  uint32_t intervals() const;  // intervals recorded (after sampling and halving)
  uint64_t estimated_intervals() const { return uint64_t{intervals()} << shift_; }
  bool empty() const { return intervals() == 0; }
  // The q-quantile of inter-arrival time in seconds (geometric interpolation inside a bucket);
  // 0 when empty.
  double quantile_s(double q) const;
  double median_s() const { return quantile_s(0.5); }
  // log2 of the ratio of the third to the first quartile: 0 for a perfectly regular source.
  double spread_octaves() const;

  const std::array<uint8_t, kBuckets>& buckets() const { return buckets_; }
  // The 64-byte form kept in the store: 60 buckets, shift, 0, tick (little-endian).
  std::array<uint8_t, kSerializedSize> to_bytes() const;
  static CadenceHistogram from_bytes(const std::array<uint8_t, kSerializedSize>& bytes);
  // Lower edge in seconds of bucket i (bucket 0 holds everything below 1/8 s).
  static double bucket_lower_s(int i);

 private:
  void halve();
  void saturate();  // halve, and sample half as often from now on
  std::array<uint8_t, kBuckets> buckets_{};
  uint8_t shift_ = 0;
  uint16_t tick_ = 0;
};

}  // namespace iotcensus::classify

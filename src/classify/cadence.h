// Per-source cadence: a 64-byte log-scale histogram of inter-arrival times (three buckets per
// octave from 1/8 s to 3 days), mergeable by addition, with median and quartiles read from it.
#pragma once

#include <array>
#include <cstdint>

namespace iotcensus::classify {

class CadenceHistogram {
 public:
  static constexpr int kBuckets = 64;
  static constexpr int kBucketsPerOctave = 3;
  static constexpr int kFirstOctave = -3;  // bucket 1 starts at 2^-3 s

  void add_interval_ns(int64_t interval_ns);
  // Adds another histogram (a later capture of the same source); halves both on overflow.
  void merge(const CadenceHistogram& other);

  uint32_t intervals() const;  // count in the histogram (after any halving)
  bool empty() const { return intervals() == 0; }
  // The q-quantile of inter-arrival time in seconds (geometric interpolation inside a bucket);
  // 0 when empty.
  double quantile_s(double q) const;
  double median_s() const { return quantile_s(0.5); }
  // log2 of the ratio of the third to the first quartile: 0 for a perfectly regular source.
  double spread_octaves() const;

  const std::array<uint8_t, kBuckets>& buckets() const { return buckets_; }
  static CadenceHistogram from_buckets(const std::array<uint8_t, kBuckets>& buckets);
  // Lower edge in seconds of bucket i (bucket 0 holds everything below 1/8 s).
  static double bucket_lower_s(int i);

 private:
  void halve();
  std::array<uint8_t, kBuckets> buckets_{};
};

}  // namespace iotcensus::classify

#include "classify/cadence.h"

#include <algorithm>
#include <cmath>

namespace iotcensus::classify {

double CadenceHistogram::bucket_lower_s(int i) {
  if (i <= 0) return 0.0;
  return std::exp2(static_cast<double>(i - 1) / kBucketsPerOctave + kFirstOctave);
}

void CadenceHistogram::halve() {
  for (auto& b : buckets_) b = static_cast<uint8_t>((b + 1) / 2);
}

void CadenceHistogram::saturate() {
  halve();
  if (shift_ < kMaxShift) ++shift_;
}

void CadenceHistogram::add_interval_ns(int64_t interval_ns) {
  if (interval_ns < 0) return;
  add_to_bucket(bucket_of(interval_ns), 1);
}

void CadenceHistogram::add_to_bucket(int bucket, uint32_t count) {
  uint8_t& b = buckets_[bucket];
  for (; count > 0; --count) {
    if (shift_ > 0) {
      ++tick_;
      if ((tick_ & ((1u << shift_) - 1)) != 0) continue;
    }
    if (b == 255) saturate();
    ++b;
  }
}

void CadenceHistogram::add_intervals_ns(int64_t interval_ns, uint64_t count) {
  if (interval_ns < 0 || count == 0) return;
  const int i = bucket_of(interval_ns);
  while (count > 0) {
    // Record every 2^shift-th interval: of `count` more, count >> shift are recorded.
    const uint64_t step = uint64_t{1} << shift_;
    const uint64_t recorded = count / step;
    if (recorded == 0) {
      // Fewer than one sampling period left: let the tick decide, one by one.
      while (count-- > 0) add_interval_ns(interval_ns);
      return;
    }
    const uint64_t room = 255u - buckets_[i];
    if (recorded <= room) {
      buckets_[i] = static_cast<uint8_t>(buckets_[i] + recorded);
      count -= recorded * step;
      continue;
    }
    buckets_[i] = 255;
    count -= (room + 1) * step;  // the one that does not fit saturates the histogram
    saturate();
    ++buckets_[i];
  }
}

void CadenceHistogram::merge(const CadenceHistogram& other) {
  // Bring both to the same sampling rate, then add, halving while a bucket would overflow.
  if (shift_ == 0 && empty()) {
    // What the general path below gives (raise our rate to other's, then add): other's buckets
    // and rate; our tick stays.
    buckets_ = other.buckets_;
    shift_ = other.shift_;
    return;
  }
  CadenceHistogram o = other;
  while (shift_ < o.shift_) saturate();
  while (o.shift_ < shift_) o.saturate();
  while (true) {
    bool fits = true;
    for (int j = 0; j < kBuckets; ++j) fits &= unsigned{buckets_[j]} + o.buckets_[j] <= 255;
    if (fits) break;
    saturate();
    o.saturate();
  }
  for (int j = 0; j < kBuckets; ++j)
    buckets_[j] = static_cast<uint8_t>(buckets_[j] + o.buckets_[j]);
}

uint32_t CadenceHistogram::intervals() const {
  uint32_t n = 0;
  for (auto b : buckets_) n += b;
  return n;
}

double CadenceHistogram::quantile_s(double q) const {
  const uint32_t n = intervals();
  if (n == 0) return 0.0;
  const double target = q * n;
  double cumulative = 0;
  for (int i = 0; i < kBuckets; ++i) {
    if (buckets_[i] == 0) continue;
    if (cumulative + buckets_[i] >= target) {
      const double within = (target - cumulative) / buckets_[i];
      if (i == 0) return bucket_lower_s(1) * within;
      const double lo = bucket_lower_s(i);
      const double hi = bucket_lower_s(i + 1);
      return lo * std::pow(hi / lo, within);
    }
    cumulative += buckets_[i];
  }
  return bucket_lower_s(kBuckets);
}

double CadenceHistogram::spread_octaves() const {
  const double q1 = quantile_s(0.25);
  const double q3 = quantile_s(0.75);
  if (q1 <= 0 || q3 <= 0) return 0.0;
  return std::log2(q3 / q1);
}

std::array<uint8_t, CadenceHistogram::kSerializedSize> CadenceHistogram::to_bytes() const {
  std::array<uint8_t, kSerializedSize> out{};
  std::copy(buckets_.begin(), buckets_.end(), out.begin());
  out[kBuckets] = shift_;
  out[kBuckets + 2] = static_cast<uint8_t>(tick_);
  out[kBuckets + 3] = static_cast<uint8_t>(tick_ >> 8);
  return out;
}

CadenceHistogram CadenceHistogram::from_bytes(const std::array<uint8_t, kSerializedSize>& b) {
  CadenceHistogram h;
  std::copy(b.begin(), b.begin() + kBuckets, h.buckets_.begin());
  h.shift_ = std::min<uint8_t>(b[kBuckets], kMaxShift);
  h.tick_ = static_cast<uint16_t>(b[kBuckets + 2] | (b[kBuckets + 3] << 8));
  return h;
}

}  // namespace iotcensus::classify

// A block of packets waiting to be counted, kept in buckets by the top bits of their source
// key's hash, so that counting one bucket touches a cache-sized part of the tally's state.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <vector>

#include "core/address.h"

namespace iotcensus::tally {

// What counting one packet needs, taken from its Observation when it arrives.
struct PendingPacket {
  core::Address src;
  uint64_t mask = 0;  // rule mask
  uint64_t hash = 0;  // of (src, mask)
  int64_t time_ns = 0;
  uint64_t seq = 0;  // arrival number in the tally
  uint32_t bytes = 0;
  uint16_t port = 0;
  bool evidence = false;  // the evidence of the mask's leading class holds
};

class PacketPartition {
 public:
  static constexpr int kBucketBits = 8;
  static constexpr size_t kBuckets = size_t{1} << kBucketBits;

  // Appends the packet to its bucket; each bucket keeps arrival order.
  void push(const PendingPacket& p) {
    buckets_[p.hash >> (64 - kBucketBits)].push_back(p);
    ++size_;
  }
  size_t size() const { return size_; }
  const std::vector<PendingPacket>& bucket(size_t i) const { return buckets_[i]; }
  // Empties the buckets, keeping their memory for the next block.
  void clear() {
    for (auto& b : buckets_) b.clear();
    size_ = 0;
  }

 private:
  std::array<std::vector<PendingPacket>, kBuckets> buckets_;
  size_t size_ = 0;
};

}  // namespace iotcensus::tally

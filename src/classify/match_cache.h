// Memoised rule matching: the mask of Classifier::match kept per packet shape in a small
// direct-mapped cache, so a flood of identical requests is matched once; traffic whose shapes
// do not repeat is matched directly for a while. Not thread-safe.
#pragma once

#include <array>
#include <bit>
#include <cstdint>
#include <optional>

#include "classify/classifier.h"
#include "classify/packet_shape.h"
#include "core/observation.h"

namespace iotcensus::classify {

class MatchCache {
 public:
  static constexpr size_t kSlots = 256;
  // Every kWindow lookups, fewer than kWindow / 4 hits: the next kBypass packets are matched
  // directly (the result is the same; only the cost differs), then the cache is tried again.
  static constexpr uint32_t kWindow = 4096;
  static constexpr uint32_t kBypass = 65536;

  explicit MatchCache(const Classifier& classifier);

  // Exactly classifier.match(obs).
  uint64_t match(const core::Observation& obs) {
    if (!reader_) return classifier_.match(obs);
    if (bypass_ > 0) {
      --bypass_;
      ++bypassed_;
      return classifier_.match(obs);
    }
    if (++window_lookups_ == kWindow) {
      if (window_hits_ < kWindow / 4) bypass_ = kBypass;
      window_lookups_ = 0;
      window_hits_ = 0;
    }
    PacketShape shape;
    reader_->read(obs, shape);
    uint64_t h = 0;
    for (size_t i = 0; i < PacketShape::kWords; ++i) {
      h ^= std::rotl(shape.words[i], static_cast<int>(9 * i % 64));
    }
    h = (h ^ (h >> 29)) * 0xbf58476d1ce4e5b9ULL;
    Slot& slot = slots_[(h >> 56) % kSlots];
    uint64_t differ = 0;
    for (size_t i = 0; i < PacketShape::kWords; ++i) differ |= slot.shape.words[i] ^ shape.words[i];
    if (slot.used && differ == 0) {
      ++hits_;
      ++window_hits_;
      return slot.mask;
    }
    ++misses_;
    slot.shape = shape;
    slot.mask = classifier_.match(obs);
    slot.used = true;
    return slot.mask;
  }

  uint64_t hits() const { return hits_; }
  uint64_t misses() const { return misses_; }
  uint64_t bypassed() const { return bypassed_; }  // matched directly, the cache not tried

 private:
  struct Slot {
    PacketShape shape;
    uint64_t mask = 0;
    bool used = false;
  };
  const Classifier& classifier_;
  std::optional<ShapeReader> reader_;
  std::array<Slot, kSlots> slots_{};
  uint64_t hits_ = 0;
  uint64_t misses_ = 0;
  uint64_t bypassed_ = 0;
  uint32_t window_lookups_ = 0;
  uint32_t window_hits_ = 0;
  uint32_t bypass_ = 0;  // packets left to match directly
};

}  // namespace iotcensus::classify

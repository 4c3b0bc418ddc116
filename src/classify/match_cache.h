// Memoised rule matching: per packet shape, the mask of Classifier::match, its number and the
// evidence verdict, kept in a small direct-mapped cache, so a flood of identical requests is
// matched once; traffic whose shapes do not repeat is matched directly for a while. In front of
// it, the same per raw key (identical bare headers skip reading the shape). Not thread-safe.
#pragma once

#include <array>
#include <bit>
#include <cstdint>
#include <optional>
#include <unordered_map>
#include <vector>

#include "classify/classifier.h"
#include "classify/packet_shape.h"
#include "core/observation.h"

namespace iotcensus::classify {

class MatchCache {
 public:
  static constexpr size_t kSlots = 256;
  static constexpr size_t kRawSlots = 64;
  // Every kWindow lookups, fewer than kWindow / 4 hits: the next kBypass packets are matched
  // directly (the result is the same; only the cost differs), then the cache is tried again.
  static constexpr uint32_t kWindow = 4096;
  static constexpr uint32_t kBypass = 65536;

  explicit MatchCache(const Classifier& classifier);

  struct Match {
    uint64_t mask = 0;      // classifier.match(obs)
    uint32_t id = 0;        // the mask's number: 0, 1, 2, ... in order of first sight
    bool evidence = false;  // classifier.evidence(classifier.leading_class(mask), obs)
  };

  Match match(const core::Observation& obs) {
    // Inlined: a lookup in the middle of a window, as most are.
    if (bypass_ == 0 && window_lookups_ + 1 < kWindow && reader_) {
      ++window_lookups_;
      return lookup(obs);
    }
    return match_windowed(obs);
  }

  // The mask numbered `id` (< masks().size()).
  uint64_t mask_of(uint32_t id) const { return masks_[id]; }
  const std::vector<uint64_t>& masks() const { return masks_; }

  uint64_t hits() const { return hits_ + raw_hits_; }
  uint64_t raw_hits() const { return raw_hits_; }  // of hits(), those found by their raw key
  uint64_t misses() const { return misses_; }
  uint64_t bypassed() const { return bypassed_; }  // matched directly, the cache not tried

 private:
  struct Slot {
    PacketShape shape;
    Match match;
    bool used = false;
  };
  struct RawSlot {
    ShapeReader::RawKey key;
    Match match;
    bool used = false;
  };
  static_assert(kRawSlots == 64);  // the index is the top 6 bits of a hash
  RawSlot& raw_slot(const ShapeReader::RawKey& raw) {
    const uint64_t k = raw.lanes[0][0] ^ raw.lanes[3][0] ^ raw.lanes[3][1];
    return raw_slots_[(k * 0x9e3779b97f4a7c15ULL) >> 58];
  }
  // match() at the end of a window, during a bypass, or without a reader.
  [[gnu::noinline]] Match match_windowed(const core::Observation& obs) {
    if (!reader_) return direct(obs);
    if (bypass_ > 0) {
      --bypass_;
      ++bypassed_;
      return direct(obs);
    }
    if (++window_lookups_ == kWindow) {
      if (window_hits_ < kWindow / 4) bypass_ = kBypass;
      window_lookups_ = 0;
      window_hits_ = 0;
    }
    return lookup(obs);
  }
  // A flood repeats one request byte for byte: its raw key finds it without a shape. Other
  // packets, and raw keys not seen yet, go to the shape cache (out of line).
  [[gnu::always_inline]] Match lookup(const core::Observation& obs) {
    ShapeReader::RawKey raw;
    if (!reader_->raw_key(obs, raw)) return match_shape(obs);
    RawSlot& slot = raw_slot(raw);
    if (slot.used && ShapeReader::same(slot.key, raw)) {
      ++raw_hits_;
      ++window_hits_;
      return slot.match;
    }
    return match_raw_miss(obs, slot);
  }
  // The key is read again here rather than passed: passing it would keep it in memory on the
  // hit path (4 stores a packet).
  [[gnu::noinline]] Match match_raw_miss(const core::Observation& obs, RawSlot& slot) {
    ShapeReader::RawKey raw{};
    reader_->raw_key(obs, raw);
    const Match m = match_shape(obs);
    slot = RawSlot{raw, m, true};
    return m;
  }
  [[gnu::noinline]] Match match_shape(const core::Observation& obs) {
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
      return slot.match;
    }
    ++misses_;
    slot.shape = shape;
    slot.match = direct(obs);
    slot.used = true;
    return slot.match;
  }
  Match direct(const core::Observation& obs) {
    Match m;
    m.mask = classifier_.match(obs);
    m.id = id_of(m.mask);
    m.evidence = classifier_.evidence(classifier_.leading_class(m.mask), obs);
    return m;
  }
  // The number of a mask, made if new (runs of one mask skip the map).
  uint32_t id_of(uint64_t mask) {
    return !masks_.empty() && mask == last_mask_ ? last_id_ : number(mask);
  }
  uint32_t number(uint64_t mask);

  const Classifier& classifier_;
  std::optional<ShapeReader> reader_;
  std::array<Slot, kSlots> slots_{};
  std::array<RawSlot, kRawSlots> raw_slots_{};
  uint64_t hits_ = 0;  // by shape
  uint64_t raw_hits_ = 0;
  uint64_t misses_ = 0;
  uint64_t bypassed_ = 0;
  uint32_t window_lookups_ = 0;
  uint32_t window_hits_ = 0;
  uint32_t bypass_ = 0;                         // packets left to match directly
  std::vector<uint64_t> masks_;                 // by number
  std::unordered_map<uint64_t, uint32_t> ids_;  // mask -> number
  uint64_t last_mask_ = 0;                      // of the last number()
  uint32_t last_id_ = 0;
};

}  // namespace iotcensus::classify

// The shape of a packet: the fields a rule set's packet conditions read, reduced to what they
// test (timestamps to zero / non-zero, addresses to prefix membership, payload to masked bytes).
// Two packets of the same shape satisfy the same rules; the key of the MatchCache.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <vector>

#include "classify/rule.h"
#include "core/observation.h"

namespace iotcensus::classify {

struct PacketShape {
  static constexpr size_t kFixedWords = 7;
  static constexpr size_t kMaxPayloadWords = 8;  // payload patterns of up to 64 bytes
  static constexpr size_t kWords = kFixedWords + kMaxPayloadWords;
  std::array<uint64_t, kWords> words{};
};

// Reads the shape of packets for one rule set (the `match` conditions of its rules).
class ShapeReader {
 public:
  // Empty when the rules read something a shape cannot hold (a payload pattern longer than 64
  // bytes, more than 64 address prefixes on one side): then packets must be matched directly.
  static std::optional<ShapeReader> create(const std::vector<Rule>& rules);

  // Fills every word of `out`; words past words() are zero.
  void read(const core::Observation& obs, PacketShape& out) const;
  // Words of a shape that can be non-zero for this rule set.
  size_t words() const { return words_; }

 private:
  // Payload words when fewer than all their bytes are present.
  void read_partial_payload(const uint8_t* payload, size_t present, PacketShape& out) const;

  std::array<uint64_t, PacketShape::kFixedWords> field_masks_{};  // fields some rule reads
  std::array<uint64_t, PacketShape::kMaxPayloadWords> payload_masks_{};
  size_t payload_bytes_ = 0;  // longest payload pattern
  size_t words_ = PacketShape::kFixedWords;
  std::vector<AddressPrefix> src_prefixes_, dst_prefixes_;
};

}  // namespace iotcensus::classify

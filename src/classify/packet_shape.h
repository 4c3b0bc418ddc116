// The shape of a packet: the fields a rule set's packet and evidence conditions read, reduced to
// what they test (timestamps to zero / non-zero, ports to which listed port they are, addresses
// to prefix membership, payload to which patterns it matches). Two packets of the same shape
// satisfy the same rules and evidence; the key of the MatchCache.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <optional>
#include <vector>

#include "classify/rule.h"
#include "core/observation.h"

namespace iotcensus::classify {

struct PacketShape {
  static constexpr size_t kWords = 7;
  // Not zeroed on construction: ShapeReader::read fills every word (value-initialise for zero).
  std::array<uint64_t, kWords> words;
};

// Reads the shape of packets for one rule set (the `match` and `evidence` conditions of its
// rules).
class ShapeReader {
 public:
  using Lane = uint64_t __attribute__((vector_size(16)));  // GCC vector: SSE2 on x86-64
  // What a packet whose NTP payload is a bare 48-byte header is, for the rules: the 48 bytes
  // and what its shape reads besides them (lengths, IP version, ports as reduced). Packets of
  // equal raw keys have equal shapes, since an Observation's `ntp` is decoded from its payload;
  // loaded in a few instructions, where a shape takes about a hundred.
  struct RawKey {
    std::array<Lane, 4> lanes;  // bytes 0-47 of the payload; then the rest, masked
  };
  // Of the `match` and `evidence` conditions of the rules. Empty when the rules read something
  // a shape cannot hold (more than 64 address prefixes on one side, more than 64 payload
  // patterns): then packets must be matched directly.
  static std::optional<ShapeReader> create(const std::vector<Rule>& rules);

  // Fills every word of `out`.
  void read(const core::Observation& obs, PacketShape& out) const {
    const core::NtpHeader& n = obs.ntp;
    const uint64_t flags =
        (n.extension_fields > 0 ? kExtensions : uint64_t{0}) | (n.mac_length > 0 ? kMac : 0) |
        (n.reference_ts != 0 ? kTimestamp0 << 0 : 0) | (n.origin_ts != 0 ? kTimestamp0 << 1 : 0) |
        (n.receive_ts != 0 ? kTimestamp0 << 2 : 0) | (n.transmit_ts != 0 ? kTimestamp0 << 3 : 0);
    auto& w = out.words;
    w[0] = (uint64_t{n.leap} | uint64_t{n.version} << 8 | uint64_t{n.mode} << 16 |
            uint64_t{n.stratum} << 24 | uint64_t{static_cast<uint8_t>(n.poll)} << 32 |
            uint64_t{static_cast<uint8_t>(n.precision)} << 40 | flags << 48 |
            uint64_t{obs.ip_version} << 56) &
           field_masks_[0];
    w[1] = (uint64_t{n.root_delay} | uint64_t{n.root_dispersion} << 32) & field_masks_[1];
    w[2] = (uint64_t{n.reference_id} | uint64_t{obs.ntp_length} << 32 |
            uint64_t{obs.udp_length} << 48) &
           field_masks_[2];
    const uint64_t src_port = src_ports_.reduce(obs.src_port);
    const uint64_t dst_port = dst_ports_.reduce(obs.dst_port);
    w[3] = (uint64_t{obs.ip_length} | src_port << 16 | dst_port << 32 |
            uint64_t{n.private_request} << 48 | uint64_t{n.control_opcode} << 56) &
           field_masks_[3];
    w[4] = any_src_prefix_ ? membership(src_prefixes_, obs.src) : 0;
    w[5] = any_dst_prefix_ ? membership(dst_prefixes_, obs.dst) : 0;
    w[6] = any_pattern_ ? pattern_bits(obs) : 0;
  }

  // Fills `out` and returns true when the packet has a raw key: a payload of exactly 48 bytes,
  // and rules that read nothing of the addresses. Else false, `out` untouched.
  bool raw_key(const core::Observation& obs, RawKey& out) const {
    if (obs.ntp_length != kDenseBytes || obs.payload == nullptr || any_prefix_) return false;
    for (size_t k = 0; k < kDenseLanes; ++k) std::memcpy(&out.lanes[k], obs.payload + 16 * k, 16);
    const uint64_t src_port = src_ports_.reduce(obs.src_port);
    const uint64_t dst_port = dst_ports_.reduce(obs.dst_port);
    // As words 3, 2 and 0 of the shape hold them.
    out.lanes[kDenseLanes] =
        Lane{(uint64_t{obs.ip_length} | src_port << 16 | dst_port << 32) & field_masks_[3],
             (uint64_t{obs.udp_length} << 48 & field_masks_[2]) |
                 (uint64_t{obs.ip_version} << 56 & field_masks_[0])};
    return true;
  }
  static bool same(const RawKey& a, const RawKey& b) {
    Lane differ = a.lanes[0] ^ b.lanes[0];
    for (size_t k = 1; k < a.lanes.size(); ++k) differ |= a.lanes[k] ^ b.lanes[k];
    return (differ[0] | differ[1]) == 0;
  }

 private:
  // Bits of the flags byte of word 0.
  static constexpr uint64_t kExtensions = 1;
  static constexpr uint64_t kMac = 2;
  static constexpr uint64_t kTimestamp0 = 16;  // bit 4 + NtpTimestamp: that timestamp is non-zero

  // The ports some rule lists, on one side: a port is reduced to itself if it is one of them,
  // else to `other` (a port none lists), so that unlisted ports (ephemeral ones) share a shape.
  // More than kMaxListed: ports are kept whole.
  struct ListedPorts {
    static constexpr size_t kMaxListed = 16;
    std::vector<uint16_t> ports;  // distinct
    uint16_t other = 0;
    // Set by finish(): ports.size() if they are reduced, else 0; and ports[0] (the common case
    // is a single listed port, tested without reading the vector).
    size_t reduced = 0;
    uint16_t first = 0;
    void add(const std::vector<uint16_t>& listed);
    void finish();
    uint64_t reduce(uint16_t port) const {
      if (reduced == 1) return port == first ? port : other;
      if (reduced == 0) return port;
      bool listed = false;  // no early exit: which port comes is not predictable
      for (uint16_t p : ports) listed |= p == port;
      return listed ? port : other;
    }
  };

  // A payload condition (PacketConditions::payload and payload_mask) as words to compare.
  struct PatternWord {
    size_t offset = 0;  // in bytes
    uint64_t mask = 0;  // never zero
    uint64_t value = 0;
    bool operator==(const PatternWord&) const = default;
  };
  struct Pattern {
    size_t length = 0;                     // bytes the payload must have
    std::vector<PatternWord> words;        // the whole words whose mask is not zero
    std::vector<uint8_t> tail, tail_mask;  // the bytes after the last whole word
    bool operator==(const Pattern&) const = default;
  };
  // A pattern of at most kDenseBytes as masks and values over the first kDenseBytes of the
  // payload (tail bytes folded in; bytes it does not test have mask and value zero), in
  // 16-byte lanes: tested in one pass, without a branch, when the payload has that many bytes.
  static constexpr size_t kDenseLanes = 3;
  static constexpr size_t kDenseBytes = 16 * kDenseLanes;  // a bare NTP header
  struct DensePattern {
    std::array<Lane, kDenseLanes> masks{}, values{};
    uint64_t bit = 0;  // of its pattern
  };

  static Pattern compile_pattern(const PacketConditions& c);
  static uint64_t membership(const std::vector<AddressPrefix>& prefixes, const core::Address& a);
  // Bit i: the payload meets patterns_[i], as PacketConditions::matches tests it. Every word of
  // a pattern is compared (no early exit: which pattern a packet meets is not predictable).
  uint64_t pattern_bits(const core::Observation& obs) const {
    if (obs.payload == nullptr) return 0;
    if (obs.ntp_length < kDenseBytes) return pattern_bits_each(obs, 0);
    // Loaded once, straight from the payload (a copy to the stack first stalls store
    // forwarding); memcpy: any alignment.
    std::array<Lane, kDenseLanes> v;
    for (size_t k = 0; k < kDenseLanes; ++k) std::memcpy(&v[k], obs.payload + 16 * k, 16);
    uint64_t bits = 0;
    for (const DensePattern& p : dense_) {
      Lane differ = (v[0] & p.masks[0]) ^ p.values[0];
      for (size_t k = 1; k < kDenseLanes; ++k) differ |= (v[k] & p.masks[k]) ^ p.values[k];
      // Which pattern a packet meets is not predictable: no branch.
      bits |= p.bit & (uint64_t{0} - uint64_t{(differ[0] | differ[1]) == 0});
    }
    return dense_.size() == patterns_.size() ? bits : bits | pattern_bits_each(obs, dense_.size());
  }
  // The bits of patterns_[first..] one by one.
  uint64_t pattern_bits_each(const core::Observation& obs, size_t first) const {
    uint64_t bits = 0;
    for (size_t i = first; i < patterns_.size(); ++i) {
      const Pattern& p = patterns_[i];
      if (obs.ntp_length < p.length) continue;
      uint64_t differ = 0;
      for (const PatternWord& w : p.words) {
        uint64_t v;
        std::memcpy(&v, obs.payload + w.offset, 8);
        differ |= (v & w.mask) ^ w.value;
      }
      const size_t tail_start = p.length - p.tail.size();
      for (size_t k = 0; k < p.tail.size(); ++k) {
        differ |= (obs.payload[tail_start + k] & p.tail_mask[k]) ^ p.tail[k];
      }
      bits |= uint64_t{differ == 0} << i;
    }
    return bits;
  }

  std::array<uint64_t, 4> field_masks_{};  // of words 0-3: the fields some rule reads
  ListedPorts src_ports_, dst_ports_;
  std::vector<AddressPrefix> src_prefixes_, dst_prefixes_;
  // Whether src_prefixes_, dst_prefixes_, patterns_ have any: one load each per packet instead
  // of a vector's two (7 instructions a packet of the 1M file, callgrind).
  bool any_src_prefix_ = false, any_dst_prefix_ = false, any_pattern_ = false;
  bool any_prefix_ = false;  // either side: no raw keys (one load: 3 instructions a packet less)
  // Distinct payload conditions, those of kDenseBytes or less first.
  std::vector<Pattern> patterns_;
  std::vector<DensePattern> dense_;  // patterns_[0, dense_.size()) as dense patterns
};

}  // namespace iotcensus::classify

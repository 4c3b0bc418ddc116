#include "classify/packet_shape.h"

#include <algorithm>
#include <cstring>

namespace iotcensus::classify {

namespace {
// Word 0: leap, version, mode, stratum, poll, precision, flags, IP version (one byte each).
// Word 1: root delay, root dispersion. Word 2: reference id, NTP length, UDP length.
// Word 3: IP length, source port, destination port, private request code, control opcode.
// Word 4: source prefixes the source address lies in (bit i: prefix i). Word 5: likewise the
// destination. Word 6: NTP bytes present, up to the longest payload pattern. Then the payload.
constexpr uint64_t kByte = 0xff;
constexpr uint64_t kHalf = 0xffffffff;
constexpr uint64_t kShort = 0xffff;
// Bits of the flags byte.
constexpr uint64_t kExtensions = 1;
constexpr uint64_t kMac = 2;
constexpr uint64_t kNoPayload = 4;
constexpr uint64_t kTimestamp0 = 16;  // bit 4 + NtpTimestamp: that timestamp is non-zero

void add_prefixes(std::vector<AddressPrefix>& into, const std::vector<AddressPrefix>& from) {
  for (const AddressPrefix& p : from) {
    const bool known = std::any_of(into.begin(), into.end(), [&](const AddressPrefix& q) {
      return q.address == p.address && q.bits == p.bits;
    });
    if (!known) into.push_back(p);
  }
}

uint64_t membership(const std::vector<AddressPrefix>& prefixes, const core::Address& a) {
  uint64_t bits = 0;
  for (size_t i = 0; i < prefixes.size(); ++i) {
    if (prefixes[i].contains(a)) bits |= uint64_t{1} << i;
  }
  return bits;
}
}  // namespace

std::optional<ShapeReader> ShapeReader::create(const std::vector<Rule>& rules) {
  ShapeReader r;
  auto& m = r.field_masks_;
  m[0] = kByte | kByte << 8 | kByte << 16;  // leap, version and mode are always tested
  std::array<uint8_t, 8 * PacketShape::kMaxPayloadWords> payload_mask{};
  for (const Rule& rule : rules) {
    const PacketConditions& c = rule.match;
    if (c.stratum) m[0] |= kByte << 24;
    if (!c.poll.empty()) m[0] |= kByte << 32;
    if (!c.precision.empty()) m[0] |= kByte << 40;
    if (c.extension_fields) m[0] |= kExtensions << 48;
    if (c.mac) m[0] |= kMac << 48;
    for (auto t : c.zero_timestamps) m[0] |= (kTimestamp0 << static_cast<int>(t)) << 48;
    for (auto t : c.nonzero_timestamps) {
      m[0] |= (kTimestamp0 << static_cast<int>(t)) << 48;
    }
    if (!c.ip_total_length.empty()) {
      m[0] |= kByte << 56;
      m[3] |= kShort;
    }
    if (!c.root_delay.empty()) m[1] |= kHalf;
    if (!c.root_dispersion.empty()) m[1] |= kHalf << 32;
    if (!c.reference_id.empty()) m[2] |= kHalf;
    if (!c.ntp_length.empty()) m[2] |= kShort << 32;
    if (!c.udp_length.empty()) m[2] |= kShort << 48;
    if (!c.src_port.empty()) m[3] |= kShort << 16;
    if (!c.dst_port.empty()) m[3] |= kShort << 32;
    if (!c.private_request.empty()) m[3] |= kByte << 48;
    if (!c.control_opcode.empty()) m[3] |= kByte << 56;
    add_prefixes(r.src_prefixes_, c.src_address);
    add_prefixes(r.dst_prefixes_, c.dst_address);
    if (!c.payload.empty()) {
      if (c.payload.size() > payload_mask.size()) return std::nullopt;
      m[0] |= kNoPayload << 48;
      m[6] = ~uint64_t{0};
      r.payload_bytes_ = std::max(r.payload_bytes_, c.payload.size());
      for (size_t i = 0; i < c.payload.size(); ++i) {
        payload_mask[i] |= i < c.payload_mask.size() ? c.payload_mask[i] : 0xff;
      }
    }
  }
  if (r.src_prefixes_.size() > 64 || r.dst_prefixes_.size() > 64) return std::nullopt;
  m[4] = r.src_prefixes_.empty() ? 0 : ~uint64_t{0};
  m[5] = r.dst_prefixes_.empty() ? 0 : ~uint64_t{0};
  const size_t payload_words = (r.payload_bytes_ + 7) / 8;
  for (size_t w = 0; w < payload_words; ++w) {
    std::memcpy(&r.payload_masks_[w], payload_mask.data() + 8 * w, 8);
  }
  r.words_ = PacketShape::kFixedWords + payload_words;
  return r;
}

void ShapeReader::read(const core::Observation& obs, PacketShape& out) const {
  const core::NtpHeader& n = obs.ntp;
  uint64_t flags =
      (n.extension_fields > 0 ? kExtensions : uint64_t{0}) | (n.mac_length > 0 ? kMac : 0) |
      (obs.payload == nullptr ? kNoPayload : 0) | (n.reference_ts != 0 ? kTimestamp0 << 0 : 0) |
      (n.origin_ts != 0 ? kTimestamp0 << 1 : 0) | (n.receive_ts != 0 ? kTimestamp0 << 2 : 0) |
      (n.transmit_ts != 0 ? kTimestamp0 << 3 : 0);
  auto& w = out.words;
  w[0] = (uint64_t{n.leap} | uint64_t{n.version} << 8 | uint64_t{n.mode} << 16 |
          uint64_t{n.stratum} << 24 | uint64_t{static_cast<uint8_t>(n.poll)} << 32 |
          uint64_t{static_cast<uint8_t>(n.precision)} << 40 | flags << 48 |
          uint64_t{obs.ip_version} << 56) &
         field_masks_[0];
  w[1] = (uint64_t{n.root_delay} | uint64_t{n.root_dispersion} << 32) & field_masks_[1];
  w[2] =
      (uint64_t{n.reference_id} | uint64_t{obs.ntp_length} << 32 | uint64_t{obs.udp_length} << 48) &
      field_masks_[2];
  w[3] = (uint64_t{obs.ip_length} | uint64_t{obs.src_port} << 16 | uint64_t{obs.dst_port} << 32 |
          uint64_t{n.private_request} << 48 | uint64_t{n.control_opcode} << 56) &
         field_masks_[3];
  w[4] = src_prefixes_.empty() ? 0 : membership(src_prefixes_, obs.src);
  w[5] = dst_prefixes_.empty() ? 0 : membership(dst_prefixes_, obs.dst);
  const size_t present =
      obs.payload == nullptr ? 0 : std::min<size_t>(obs.ntp_length, payload_bytes_);
  w[6] = present & field_masks_[6];
  // Fixed trip counts (no variable-length copy or fill); masks past the patterns are zero.
  const size_t payload_words = words_ - PacketShape::kFixedWords;
  if (present < 8 * payload_words) {
    read_partial_payload(obs.payload, present, out);
    return;
  }
  for (size_t i = 0; i < PacketShape::kMaxPayloadWords; ++i) {
    uint64_t v = 0;
    if (i < payload_words) std::memcpy(&v, obs.payload + 8 * i, 8);
    w[PacketShape::kFixedWords + i] = v & payload_masks_[i];
  }
}

void ShapeReader::read_partial_payload(const uint8_t* payload, size_t present,
                                       PacketShape& out) const {
  for (size_t i = 0; i < PacketShape::kMaxPayloadWords; ++i) {
    uint64_t v = 0;
    if (8 * i + 8 <= present) {
      std::memcpy(&v, payload + 8 * i, 8);
    } else if (8 * i < present) {
      std::memcpy(&v, payload + 8 * i, present - 8 * i);
    }
    out.words[PacketShape::kFixedWords + i] = v & payload_masks_[i];
  }
}

}  // namespace iotcensus::classify

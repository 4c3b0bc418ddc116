#include "classify/packet_shape.h"

#include <algorithm>
#include <array>

namespace iotcensus::classify {

namespace {
// Word 0: leap, version, mode, stratum, poll, precision, flags, IP version (one byte each).
// Word 1: root delay, root dispersion. Word 2: reference id, NTP length, UDP length.
// Word 3: IP length, source port, destination port, private request code, control opcode.
// Word 4: source prefixes the source address lies in (bit i: prefix i). Word 5: likewise the
// destination. Word 6: payload patterns the payload meets (bit i: pattern i).
constexpr uint64_t kByte = 0xff;
constexpr uint64_t kHalf = 0xffffffff;
constexpr uint64_t kShort = 0xffff;

void add_prefixes(std::vector<AddressPrefix>& into, const std::vector<AddressPrefix>& from) {
  for (const AddressPrefix& p : from) {
    const bool known = std::any_of(into.begin(), into.end(), [&](const AddressPrefix& q) {
      return q.address == p.address && q.bits == p.bits;
    });
    if (!known) into.push_back(p);
  }
}
}  // namespace

uint64_t ShapeReader::membership(const std::vector<AddressPrefix>& prefixes,
                                 const core::Address& a) {
  uint64_t bits = 0;
  for (size_t i = 0; i < prefixes.size(); ++i) {
    if (prefixes[i].contains(a)) bits |= uint64_t{1} << i;
  }
  return bits;
}

void ShapeReader::ListedPorts::add(const std::vector<uint16_t>& listed) {
  for (uint16_t p : listed) {
    if (std::find(ports.begin(), ports.end(), p) == ports.end()) ports.push_back(p);
  }
}

void ShapeReader::ListedPorts::finish() {
  std::sort(ports.begin(), ports.end());
  reduced = ports.size() <= kMaxListed ? ports.size() : 0;
  first = ports.empty() ? 0 : ports[0];
  other = 0;
  while (std::binary_search(ports.begin(), ports.end(), other)) ++other;
}

ShapeReader::Pattern ShapeReader::compile_pattern(const PacketConditions& c) {
  // As PacketConditions::compile: a mask of another length than the pattern is all ones.
  const std::vector<uint8_t> mask = c.payload_mask.size() == c.payload.size()
                                        ? c.payload_mask
                                        : std::vector<uint8_t>(c.payload.size(), 0xff);
  Pattern p;
  p.length = c.payload.size();
  size_t i = 0;
  for (; i + 8 <= p.length; i += 8) {
    uint64_t v = 0, m = 0;
    std::memcpy(&v, c.payload.data() + i, 8);
    std::memcpy(&m, mask.data() + i, 8);
    if (m == 0) continue;  // tests nothing
    p.words.push_back(PatternWord{i, m, v & m});
  }
  for (; i < p.length; ++i) {
    p.tail.push_back(c.payload[i] & mask[i]);
    p.tail_mask.push_back(mask[i]);
  }
  return p;
}

std::optional<ShapeReader> ShapeReader::create(const std::vector<Rule>& rules) {
  ShapeReader r;
  auto& m = r.field_masks_;
  m[0] = kByte | kByte << 8 | kByte << 16;  // leap, version and mode are always tested
  std::vector<const PacketConditions*> conditions;
  for (const Rule& rule : rules) {
    conditions.push_back(&rule.match);
    conditions.push_back(&rule.evidence);
  }
  for (const PacketConditions* read : conditions) {
    const PacketConditions& c = *read;
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
    r.src_ports_.add(c.src_port);
    r.dst_ports_.add(c.dst_port);
    if (!c.private_request.empty()) m[3] |= kByte << 48;
    if (!c.control_opcode.empty()) m[3] |= kByte << 56;
    add_prefixes(r.src_prefixes_, c.src_address);
    add_prefixes(r.dst_prefixes_, c.dst_address);
    if (!c.payload.empty()) {
      Pattern p = compile_pattern(c);
      if (std::find(r.patterns_.begin(), r.patterns_.end(), p) == r.patterns_.end()) {
        r.patterns_.push_back(std::move(p));
      }
    }
  }
  if (r.src_prefixes_.size() > 64 || r.dst_prefixes_.size() > 64 || r.patterns_.size() > 64) {
    return std::nullopt;
  }
  r.src_ports_.finish();
  r.dst_ports_.finish();
  r.any_src_prefix_ = !r.src_prefixes_.empty();
  r.any_dst_prefix_ = !r.dst_prefixes_.empty();
  r.any_pattern_ = !r.patterns_.empty();
  r.any_prefix_ = r.any_src_prefix_ || r.any_dst_prefix_;
  // Short patterns first, each also as masks over the first kDenseBytes of the payload.
  std::stable_partition(r.patterns_.begin(), r.patterns_.end(),
                        [](const Pattern& p) { return p.length <= kDenseBytes; });
  for (size_t i = 0; i < r.patterns_.size() && r.patterns_[i].length <= kDenseBytes; ++i) {
    const Pattern& p = r.patterns_[i];
    // Bytes first, then words as the payload will be loaded (memcpy: any byte order).
    std::array<uint8_t, kDenseBytes> masks{}, values{};
    for (const PatternWord& w : p.words) {
      std::memcpy(masks.data() + w.offset, &w.mask, 8);
      std::memcpy(values.data() + w.offset, &w.value, 8);
    }
    const size_t tail_start = p.length - p.tail.size();
    for (size_t k = 0; k < p.tail.size(); ++k) {
      masks[tail_start + k] = p.tail_mask[k];
      values[tail_start + k] = p.tail[k];
    }
    DensePattern d;
    d.bit = uint64_t{1} << i;
    for (size_t k = 0; k < kDenseLanes; ++k) {
      std::memcpy(&d.masks[k], masks.data() + 16 * k, 16);
      std::memcpy(&d.values[k], values.data() + 16 * k, 16);
    }
    r.dense_.push_back(d);
  }
  return r;
}

}  // namespace iotcensus::classify

#include "classify/rule.h"

#include <algorithm>
#include <cstring>

namespace iotcensus::classify {

namespace {
template <class T, class U>
bool in(const std::vector<T>& set, U value) {
  return set.empty() || std::find(set.begin(), set.end(), static_cast<T>(value)) != set.end();
}

// The same as in() for a non-empty set, without an early exit (for short sets).
bool in_all(const std::vector<uint16_t>& set, uint16_t value) {
  bool found = false;
  for (uint16_t v : set) found |= v == value;
  return found;
}

bool in_prefixes(const std::vector<AddressPrefix>& set, const core::Address& a) {
  if (set.empty()) return true;
  for (const auto& p : set) {
    if (p.contains(a)) return true;
  }
  return false;
}
}  // namespace

void PacketConditions::compile() {
  uses_ = 0;
  auto use = [&](bool set, Use u) {
    if (set) uses_ |= u;
  };
  use(leap.has_value(), kLeap);
  use(version.has_value(), kVersion);
  use(mode.has_value(), kMode);
  use(stratum.has_value(), kStratum);
  use(!poll.empty(), kPoll);
  use(!precision.empty(), kPrecision);
  use(!root_delay.empty(), kRootDelay);
  use(!root_dispersion.empty(), kRootDispersion);
  use(!reference_id.empty(), kReferenceId);
  use(!ntp_length.empty(), kNtpLength);
  use(!udp_length.empty(), kUdpLength);
  use(!ip_total_length.empty(), kIpLength);
  use(!src_port.empty(), kSrcPort);
  use(!dst_port.empty(), kDstPort);
  use(!src_address.empty(), kSrcAddress);
  use(!dst_address.empty(), kDstAddress);
  use(!zero_timestamps.empty() || !nonzero_timestamps.empty(), kTimestamps);
  use(!payload.empty(), kPayload);
  use(extension_fields.has_value(), kExtensions);
  use(mac.has_value(), kMac);
  use(!private_request.empty(), kPrivate);
  use(!control_opcode.empty(), kControl);
  modes_ = mode ? static_cast<uint8_t>(mode->to_ulong()) : 0xff;
  versions_ = version ? static_cast<uint8_t>(version->to_ulong()) : 0xff;
  leaps_ = leap ? static_cast<uint8_t>(leap->to_ulong()) : 0xff;
  payload_words_.clear();
  mask_words_.clear();
  if (payload_mask.size() != payload.size()) payload_mask.assign(payload.size(), 0xff);
  for (size_t i = 0; i + 8 <= payload.size(); i += 8) {
    uint64_t p = 0, m = 0;
    std::memcpy(&p, payload.data() + i, 8);
    std::memcpy(&m, payload_mask.data() + i, 8);
    payload_words_.push_back(p & m);
    mask_words_.push_back(m);
  }
}

bool PacketConditions::matches(const core::Observation& obs) const {
  const core::NtpHeader& n = obs.ntp;
  // The common conditions first, as bit tests; the rest only when the rule sets them.
  if (!((modes_ >> n.mode) & 1) || !((versions_ >> n.version) & 1) || !((leaps_ >> n.leap) & 1)) {
    return false;
  }
  const uint32_t u = uses_;
  if (u == 0 || (u & ~(kMode | kVersion | kLeap)) == 0) return true;
  if ((u & ~(kMode | kVersion | kLeap | kSrcPort | kDstPort)) == 0) {
    // Ports only (the evidence of the Netgear rule, tested per packet): no chain of tests, and
    // one data-dependent branch at most, in the caller.
    const bool src_ok = !(u & kSrcPort) || in_all(src_port, obs.src_port);
    const bool dst_ok = !(u & kDstPort) || in_all(dst_port, obs.dst_port);
    return src_ok & dst_ok;
  }
  if ((u & kStratum) && !(*stratum)[n.stratum]) return false;
  if ((u & kNtpLength) && !in(ntp_length, obs.ntp_length)) return false;
  if ((u & kUdpLength) && !in(udp_length, obs.udp_length)) return false;
  if ((u & kIpLength) && (obs.ip_version != 4 || !in(ip_total_length, obs.ip_length))) return false;
  if ((u & kSrcPort) && !in(src_port, obs.src_port)) return false;
  if ((u & kDstPort) && !in(dst_port, obs.dst_port)) return false;
  if ((u & kPoll) && !in(poll, n.poll)) return false;
  if ((u & kPrecision) && !in(precision, n.precision)) return false;
  if ((u & kRootDelay) && !in(root_delay, n.root_delay)) return false;
  if ((u & kRootDispersion) && !in(root_dispersion, n.root_dispersion)) return false;
  if ((u & kReferenceId) && !in(reference_id, n.reference_id)) return false;
  if (u & kTimestamps) {
    for (auto t : zero_timestamps) {
      if (n.timestamp(t) != 0) return false;
    }
    for (auto t : nonzero_timestamps) {
      if (n.timestamp(t) == 0) return false;
    }
  }
  if (u & kPayload) {
    if (obs.ntp_length < payload.size() || obs.payload == nullptr) return false;
    const size_t words = payload_words_.size();
    for (size_t w = 0; w < words; ++w) {
      uint64_t v;
      std::memcpy(&v, obs.payload + 8 * w, 8);
      if ((v & mask_words_[w]) != payload_words_[w]) return false;
    }
    for (size_t i = words * 8; i < payload.size(); ++i) {
      if ((obs.payload[i] & payload_mask[i]) != (payload[i] & payload_mask[i])) return false;
    }
  }
  if ((u & kExtensions) && (n.extension_fields > 0) != *extension_fields) return false;
  if ((u & kMac) && (n.mac_length > 0) != *mac) return false;
  if ((u & kPrivate) && (n.mode != 7 || !in(private_request, n.private_request))) return false;
  if ((u & kControl) && (n.mode != 6 || !in(control_opcode, n.control_opcode))) return false;
  if ((u & kSrcAddress) && !in_prefixes(src_address, obs.src)) return false;
  if ((u & kDstAddress) && !in_prefixes(dst_address, obs.dst)) return false;
  return true;
}

}  // namespace iotcensus::classify

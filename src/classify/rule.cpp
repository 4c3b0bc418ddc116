#include "classify/rule.h"

#include <algorithm>

namespace iotcensus::classify {

namespace {
template <class T, class U>
bool in(const std::vector<T>& set, U value) {
  return set.empty() || std::find(set.begin(), set.end(), static_cast<T>(value)) != set.end();
}

bool in_prefixes(const std::vector<AddressPrefix>& set, const core::Address& a) {
  if (set.empty()) return true;
  for (const auto& p : set) {
    if (p.contains(a)) return true;
  }
  return false;
}
}  // namespace

bool PacketConditions::matches(const core::Observation& obs) const {
  const core::NtpHeader& n = obs.ntp;
  if (mode && !(*mode)[n.mode]) return false;
  if (version && !(*version)[n.version]) return false;
  if (leap && !(*leap)[n.leap]) return false;
  if (stratum && !(*stratum)[n.stratum]) return false;
  if (!in(ntp_length, obs.ntp_length) || !in(udp_length, obs.udp_length)) return false;
  if (!ip_total_length.empty() && (obs.ip_version != 4 || !in(ip_total_length, obs.ip_length))) {
    return false;
  }
  if (!in(src_port, obs.src_port) || !in(dst_port, obs.dst_port)) return false;
  if (!in(poll, n.poll) || !in(precision, n.precision)) return false;
  if (!in(root_delay, n.root_delay) || !in(root_dispersion, n.root_dispersion)) return false;
  if (!in(reference_id, n.reference_id)) return false;
  for (auto t : zero_timestamps) {
    if (n.timestamp(t) != 0) return false;
  }
  for (auto t : nonzero_timestamps) {
    if (n.timestamp(t) == 0) return false;
  }
  if (!payload.empty()) {
    if (obs.ntp_length < payload.size() || obs.payload == nullptr) return false;
    for (size_t i = 0; i < payload.size(); ++i) {
      if ((obs.payload[i] & payload_mask[i]) != (payload[i] & payload_mask[i])) return false;
    }
  }
  if (extension_fields && (n.extension_fields > 0) != *extension_fields) return false;
  if (mac && (n.mac_length > 0) != *mac) return false;
  if (!private_request.empty() && (n.mode != 7 || !in(private_request, n.private_request))) {
    return false;
  }
  if (!control_opcode.empty() && (n.mode != 6 || !in(control_opcode, n.control_opcode))) {
    return false;
  }
  return in_prefixes(src_address, obs.src) && in_prefixes(dst_address, obs.dst);
}

bool CadenceCondition::holds(const CadenceHistogram& h) const {
  if (h.intervals() < min_intervals) return false;
  const double m = h.median_s();
  return m >= median_min_s && m <= median_max_s;
}

}  // namespace iotcensus::classify

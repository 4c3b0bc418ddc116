// A class or flag rule: conditions on one packet's header fields, bytes, lengths, ports and
// addresses (all must hold), optional evidence that raises confidence, and a cadence condition.
#pragma once

#include <bitset>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "classify/cadence.h"
#include "core/address.h"
#include "core/observation.h"

namespace iotcensus::classify {

// An address or a CIDR prefix ("128.105.39.11", "2001:db8::/32").
struct AddressPrefix {
  core::Address address;
  int bits = 128;  // in the family's own length (32 for a whole IPv4 address)
  bool contains(const core::Address& a) const {
    return a.is_v4() == address.is_v4() && a.prefix(bits) == address;
  }
};

// Conditions on a single packet; an unset member places no condition.
struct PacketConditions {
  std::optional<std::bitset<8>> leap, version, mode;
  std::optional<std::bitset<256>> stratum;
  std::vector<int> poll, precision;  // signed log2 seconds
  std::vector<uint32_t> root_delay, root_dispersion, reference_id;
  std::vector<uint32_t> ntp_length, udp_length, ip_total_length;
  std::vector<uint16_t> src_port, dst_port;
  std::vector<AddressPrefix> src_address, dst_address;
  std::vector<core::NtpTimestamp> zero_timestamps, nonzero_timestamps;
  std::vector<uint8_t> payload, payload_mask;  // compare payload[i] & mask[i]
  std::optional<bool> extension_fields, mac;
  std::vector<uint32_t> private_request, control_opcode;
  bool empty = true;  // no condition at all

  bool matches(const core::Observation& obs) const;
};

struct CadenceCondition {
  double median_min_s = 0;
  double median_max_s = 1e300;
  uint32_t min_intervals = 3;
  bool holds(const CadenceHistogram& h) const;
};

enum class RuleKind : uint8_t { kClass, kFlag };

struct Rule {
  RuleKind kind = RuleKind::kClass;
  std::string name;
  std::string description;
  std::string origin;  // "rules/netgear.toml" or the --rules file it came from
  int priority = 100;
  PacketConditions match;
  PacketConditions evidence;  // raises confidence; not required
  std::optional<CadenceCondition> cadence;
};

}  // namespace iotcensus::classify

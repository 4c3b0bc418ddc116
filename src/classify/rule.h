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

  // Records which conditions are set and packs the payload pattern into words, so that
  // matches() only looks at what a rule constrains. Call after filling the members.
  void compile();
  bool matches(const core::Observation& obs) const;

 private:
  enum Use : uint32_t {
    kLeap = 1u << 0,
    kVersion = 1u << 1,
    kMode = 1u << 2,
    kStratum = 1u << 3,
    kPoll = 1u << 4,
    kPrecision = 1u << 5,
    kRootDelay = 1u << 6,
    kRootDispersion = 1u << 7,
    kReferenceId = 1u << 8,
    kNtpLength = 1u << 9,
    kUdpLength = 1u << 10,
    kIpLength = 1u << 11,
    kSrcPort = 1u << 12,
    kDstPort = 1u << 13,
    kSrcAddress = 1u << 14,
    kDstAddress = 1u << 15,
    kTimestamps = 1u << 16,
    kPayload = 1u << 17,
    kExtensions = 1u << 18,
    kMac = 1u << 19,
    kPrivate = 1u << 20,
    kControl = 1u << 21,
  };
  uint32_t uses_ = 0;
  uint8_t modes_ = 0xff, versions_ = 0xff, leaps_ = 0xff;  // bit sets of allowed values
  std::vector<uint64_t> payload_words_, mask_words_;       // payload[0 .. 8k) as words
};

struct CadenceCondition {
  double median_min_s = 0;
  double median_max_s = 1e300;
  uint32_t min_intervals = 3;
  bool holds(const CadenceHistogram& h) const { return holds(h.median_s(), h.intervals()); }
  bool holds(double median_s, uint32_t intervals) const {
    return intervals >= min_intervals && median_s >= median_min_s && median_s <= median_max_s;
  }
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

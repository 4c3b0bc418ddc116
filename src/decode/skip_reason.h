// Why a captured frame did not yield an NTP observation, and odd things about ones that did.
// Every frame ends up in exactly one counter: decoded NTP, or one skip reason.
#pragma once

#include <array>
#include <cstdint>
#include <string_view>

namespace iotcensus::decode {

enum class SkipReason : uint8_t {
  kUnsupportedLink,  // the interface's link type has no decoder
  kLinkTruncated,    // frame shorter than its link-layer header
  kNotIp,            // ARP, LLDP, other ethertypes
  kIpTruncated,      // IP header cut short by the capture
  kIpBadHeader,      // version, header length or total length impossible
  kIpFragment,       // a non-first fragment, or a first fragment without the NTP header
  kIcmp,             // ICMP or ICMPv6 (errors may quote NTP; those copies are not counted)
  kNotUdp,           // TCP and other transports
  kUdpTruncated,     // UDP header cut short
  kUdpBadLength,     // UDP length smaller than its header or larger than the IP payload
  kNotNtpPort,       // UDP, but neither port is 123
  kNtpTruncated,     // port 123, but shorter than the header of its mode
  kCount
};

// Anomalies of packets that were decoded: counted, the packet still counts as NTP.
enum class Anomaly : uint8_t {
  kNtpSnapped,           // the capture kept fewer bytes than the UDP length says
  kTrailerInconsistent,  // bytes after the header are neither extension fields nor a MAC
  kCount
};

inline constexpr size_t kSkipReasonCount = static_cast<size_t>(SkipReason::kCount);
inline constexpr size_t kAnomalyCount = static_cast<size_t>(Anomaly::kCount);

std::string_view skip_reason_name(SkipReason reason);
std::string_view anomaly_name(Anomaly anomaly);

struct DecodeCounters {
  uint64_t frames = 0;
  uint64_t ntp = 0;
  std::array<uint64_t, kSkipReasonCount> skipped{};
  std::array<uint64_t, kAnomalyCount> anomalies{};
};

}  // namespace iotcensus::decode

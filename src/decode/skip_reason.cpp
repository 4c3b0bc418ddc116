#include "decode/skip_reason.h"

namespace iotcensus::decode {

std::string_view skip_reason_name(SkipReason reason) {
  switch (reason) {
    case SkipReason::kUnsupportedLink:
      return "unsupported_link";
    case SkipReason::kLinkTruncated:
      return "link_truncated";
    case SkipReason::kNotIp:
      return "not_ip";
    case SkipReason::kIpTruncated:
      return "ip_truncated";
    case SkipReason::kIpBadHeader:
      return "ip_bad_header";
    case SkipReason::kIpFragment:
      return "ip_fragment";
    case SkipReason::kIcmp:
      return "icmp";
    case SkipReason::kNotUdp:
      return "not_udp";
    case SkipReason::kUdpTruncated:
      return "udp_truncated";
    case SkipReason::kUdpBadLength:
      return "udp_bad_length";
    case SkipReason::kNotNtpPort:
      return "not_ntp_port";
    case SkipReason::kNtpTruncated:
      return "ntp_truncated";
    case SkipReason::kCount:
      break;
  }
  return "unknown";
}

std::string_view anomaly_name(Anomaly anomaly) {
  switch (anomaly) {
    case Anomaly::kNtpSnapped:
      return "ntp_snapped";
    case Anomaly::kTrailerInconsistent:
      return "trailer_inconsistent";
    case Anomaly::kCount:
      break;
  }
  return "unknown";
}

}  // namespace iotcensus::decode

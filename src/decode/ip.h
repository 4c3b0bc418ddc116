// IPv4 (options, fragments) and IPv6 (extension headers, fragments) down to a UDP datagram,
// and the UDP header itself; fills addresses, ports and lengths of the Observation.
#pragma once

#include "core/observation.h"
#include "decode/bytes.h"
#include "decode/skip_reason.h"

namespace iotcensus::decode {

struct TransportResult {
  bool ok = false;
  SkipReason reason = SkipReason::kNotUdp;
  Bytes segment;            // the UDP header and what follows, as captured
  uint32_t ip_payload = 0;  // transport bytes the IP header announces for this packet
  bool first_fragment = false;
};

// From the first byte of an IP header to the start of its UDP header.
TransportResult decode_ip(Bytes ip, core::Observation& obs);

struct UdpResult {
  bool ok = false;
  SkipReason reason = SkipReason::kUdpTruncated;
  Bytes payload;  // the UDP payload as captured (may be shorter than the UDP length says)
  bool snapped = false;
};

UdpResult decode_udp(const TransportResult& transport, core::Observation& obs);

}  // namespace iotcensus::decode

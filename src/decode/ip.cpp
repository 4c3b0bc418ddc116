#include "decode/ip.h"

namespace iotcensus::decode {

namespace {
constexpr uint8_t kProtoIcmp = 1;
constexpr uint8_t kProtoUdp = 17;
constexpr uint8_t kProtoIcmpv6 = 58;

TransportResult by_protocol(uint8_t proto, Bytes rest, uint32_t ip_payload, bool first_fragment) {
  if (proto == kProtoUdp) return {true, SkipReason::kNotUdp, rest, ip_payload, first_fragment};
  if (proto == kProtoIcmp || proto == kProtoIcmpv6) return {false, SkipReason::kIcmp, {}, 0, false};
  return {false, SkipReason::kNotUdp, {}, 0, false};
}

TransportResult decode_v4(Bytes ip, core::Observation& obs) {
  if (!ip.has(20)) return {false, SkipReason::kIpTruncated, {}, 0, false};
  const uint8_t* h = ip.data;
  const size_t ihl = size_t{h[0] & 0x0fu} * 4;
  const uint16_t total = be16(h + 2);
  if (ihl < 20 || total < ihl) return {false, SkipReason::kIpBadHeader, {}, 0, false};
  if (!ip.has(ihl)) return {false, SkipReason::kIpTruncated, {}, 0, false};
  obs.ip_version = 4;
  obs.ttl = h[8];
  obs.ip_length = total;
  obs.src = core::Address::from_v4_bytes(h + 12);
  obs.dst = core::Address::from_v4_bytes(h + 16);
  const uint16_t frag = be16(h + 6);
  const bool more_fragments = (frag & 0x2000) != 0;
  const uint16_t offset = frag & 0x1fff;
  if (offset != 0) return {false, SkipReason::kIpFragment, {}, 0, false};
  // The capture may hold Ethernet padding after the datagram: stop at the total length.
  Bytes rest = ip.first(total).skip(ihl);
  return by_protocol(h[9], rest, total - static_cast<uint32_t>(ihl), more_fragments);
}

TransportResult decode_v6(Bytes ip, core::Observation& obs) {
  if (!ip.has(40)) return {false, SkipReason::kIpTruncated, {}, 0, false};
  const uint8_t* h = ip.data;
  const uint16_t payload_length = be16(h + 4);
  obs.ip_version = 6;
  obs.ttl = h[7];
  obs.ip_length = static_cast<uint16_t>(payload_length + 40);
  obs.src = core::Address::from_v6_bytes(h + 8);
  obs.dst = core::Address::from_v6_bytes(h + 24);
  uint8_t next = h[6];
  Bytes rest = ip.skip(40).first(payload_length);
  uint32_t remaining = payload_length;
  bool first_fragment = false;
  for (int depth = 0; depth < 16; ++depth) {
    switch (next) {
      case 0:      // hop-by-hop options
      case 43:     // routing
      case 60:     // destination options
      case 135:    // mobility
      case 139:    // HIP
      case 140: {  // shim6
        if (!rest.has(2)) return {false, SkipReason::kIpTruncated, {}, 0, false};
        const size_t len = (size_t{rest.data[1]} + 1) * 8;
        if (len > remaining) return {false, SkipReason::kIpBadHeader, {}, 0, false};
        if (!rest.has(len)) return {false, SkipReason::kIpTruncated, {}, 0, false};
        next = rest.data[0];
        rest = rest.skip(len);
        remaining -= static_cast<uint32_t>(len);
        break;
      }
      case 51: {  // authentication header: length in 4-byte units, minus 2
        if (!rest.has(2)) return {false, SkipReason::kIpTruncated, {}, 0, false};
        const size_t len = (size_t{rest.data[1]} + 2) * 4;
        if (len > remaining) return {false, SkipReason::kIpBadHeader, {}, 0, false};
        if (!rest.has(len)) return {false, SkipReason::kIpTruncated, {}, 0, false};
        next = rest.data[0];
        rest = rest.skip(len);
        remaining -= static_cast<uint32_t>(len);
        break;
      }
      case 44: {  // fragment
        if (!rest.has(8)) return {false, SkipReason::kIpTruncated, {}, 0, false};
        const uint16_t frag = be16(rest.data + 2);
        if ((frag >> 3) != 0) return {false, SkipReason::kIpFragment, {}, 0, false};
        first_fragment = (frag & 1) != 0;
        next = rest.data[0];
        rest = rest.skip(8);
        remaining -= 8;
        break;
      }
      case 59:  // no next header
        return {false, SkipReason::kNotUdp, {}, 0, false};
      default:
        return by_protocol(next, rest, remaining, first_fragment);
    }
  }
  return {false, SkipReason::kIpBadHeader, {}, 0, false};
}
}  // namespace

TransportResult decode_ip(Bytes ip, core::Observation& obs) {
  if (!ip.has(1)) return {false, SkipReason::kIpTruncated, {}, 0, false};
  const uint8_t version = ip.data[0] >> 4;
  if (version == 4) return decode_v4(ip, obs);
  if (version == 6) return decode_v6(ip, obs);
  return {false, SkipReason::kIpBadHeader, {}, 0, false};
}

UdpResult decode_udp(const TransportResult& t, core::Observation& obs) {
  if (!t.segment.has(8)) return {false, SkipReason::kUdpTruncated, {}, false};
  const uint8_t* h = t.segment.data;
  obs.src_port = be16(h);
  obs.dst_port = be16(h + 2);
  obs.udp_length = be16(h + 4);
  if (obs.udp_length < 8 || (!t.first_fragment && obs.udp_length > t.ip_payload)) {
    return {false, SkipReason::kUdpBadLength, {}, false};
  }
  // A first fragment carries only part of the datagram: decode what it holds.
  const size_t announced = t.first_fragment ? t.ip_payload - 8u : obs.udp_length - 8u;
  Bytes payload = t.segment.skip(8).first(announced);
  return {true, SkipReason::kUdpTruncated, payload, payload.size < size_t{obs.udp_length} - 8u};
}

}  // namespace iotcensus::decode

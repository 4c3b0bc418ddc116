// The fast path of PacketDecoder for the frame almost every capture is made of: Ethernet, IPv4
// without options or fragmentation (or IPv6 without extension headers), UDP, a bare 48-byte NTP.
#pragma once

#include "capture/raw_packet.h"
#include "core/observation.h"
#include "decode/bytes.h"
#include "decode/link.h"
#include "decode/ntp.h"

namespace iotcensus::decode {

namespace detail {

inline constexpr size_t kEthernetHeader = 14;
inline constexpr size_t kUdpHeader = 8;
inline constexpr size_t kCommonUdpLength = kUdpHeader + kNtpHeaderLength;  // 56
inline constexpr size_t kCommonIpv4Length = 20 + kCommonUdpLength;         // 76
inline constexpr size_t kCommonIpv6Payload = kCommonUdpLength;             // 56

// UDP header and NTP header at `udp`, already known to be 56 bytes as captured and announced:
// fills what decode_udp and decode_ntp would. False for the modes with their own header.
inline bool fill_udp_ntp(const uint8_t* udp, core::Observation& obs) {
  const uint16_t src_port = be16(udp);
  const uint16_t dst_port = be16(udp + 2);
  const uint8_t* h = udp + kUdpHeader;
  const uint8_t b0 = h[0];
  const uint8_t mode = b0 & 7;
  if ((src_port != kNtpPort && dst_port != kNtpPort) ||
      mode == static_cast<uint8_t>(core::NtpMode::kControl) ||
      mode == static_cast<uint8_t>(core::NtpMode::kPrivate)) {
    return false;
  }
  obs.src_port = src_port;
  obs.dst_port = dst_port;
  obs.udp_length = static_cast<uint16_t>(kCommonUdpLength);
  obs.ntp_length = static_cast<uint16_t>(kNtpHeaderLength);
  obs.payload = h;
  core::NtpHeader& n = obs.ntp;
  n.leap = b0 >> 6;
  n.version = (b0 >> 3) & 7;
  n.mode = mode;
  decode_header_fields(h, n);
  // Nothing follows the header: no extension fields, no MAC; modes 6 and 7 were excluded.
  n.extension_fields = 0;
  n.extension_bytes = 0;
  n.mac_length = 0;
  n.key_id = 0;
  n.control_opcode = 0;
  n.control_response = false;
  n.private_request = 0;
  n.private_implementation = 0;
  return true;
}

}  // namespace detail

// When `frame` is such a common frame, fills every field of `obs` exactly as the general path
// would and returns true (the frame is NTP, with no anomaly). Otherwise returns false, `obs`
// possibly partly written: the general path must then decode the frame from scratch.
inline bool decode_common_frame(const capture::RawPacket& frame, core::Observation& obs) {
  using detail::kEthernetHeader;
  // Both families need at least the 90 bytes of the IPv4 frame before a byte is read.
  if (frame.link_type != kLinkEthernet ||
      frame.captured_length < kEthernetHeader + detail::kCommonIpv4Length) {
    return false;
  }
  const uint8_t* f = frame.data;
  const uint8_t* ip = f + kEthernetHeader;
  const uint16_t ethertype = be16(f + 12);
  if (ethertype == 0x0800) {
    // Version 4, IHL 5; total length 76; no more-fragments flag, offset 0; UDP of length 56.
    if (ip[0] != 0x45 || be16(ip + 2) != detail::kCommonIpv4Length ||
        (be16(ip + 6) & 0x3fff) != 0 || ip[9] != 17 ||
        be16(ip + 20 + 4) != detail::kCommonUdpLength) {
      return false;
    }
    if (!detail::fill_udp_ntp(ip + 20, obs)) return false;
    obs.src = core::Address::from_v4(be32(ip + 12));
    obs.dst = core::Address::from_v4(be32(ip + 16));
    obs.ip_length = static_cast<uint16_t>(detail::kCommonIpv4Length);
    obs.ip_version = 4;
    obs.ttl = ip[8];
  } else if (ethertype == 0x86dd &&
             frame.captured_length >= kEthernetHeader + 40 + detail::kCommonIpv6Payload) {
    // Version 6; payload length 56; next header UDP; UDP of length 56.
    if ((ip[0] >> 4) != 6 || be16(ip + 4) != detail::kCommonIpv6Payload || ip[6] != 17 ||
        be16(ip + 40 + 4) != detail::kCommonUdpLength) {
      return false;
    }
    if (!detail::fill_udp_ntp(ip + 40, obs)) return false;
    obs.src = core::Address{be64(ip + 8), be64(ip + 16)};
    obs.dst = core::Address{be64(ip + 24), be64(ip + 32)};
    obs.ip_length = static_cast<uint16_t>(40 + detail::kCommonIpv6Payload);
    obs.ip_version = 6;
    obs.ttl = ip[7];
  } else {
    return false;
  }
  obs.time_ns = frame.time_ns;
  obs.wire_length = frame.wire_length;
  return true;
}

}  // namespace iotcensus::decode

// The bytes of one simulated request as a capture holds it: Ethernet II, IPv4 (total length 76)
// or IPv6 (payload length 56), UDP to port 123 with a correct checksum, the 48-byte NTP header.
#pragma once

#include <cstddef>
#include <cstdint>

#include "core/address.h"

namespace iotcensus::simulate {

inline constexpr size_t kFrameV4 = 14 + 20 + 8 + 48;  // 90
inline constexpr size_t kFrameV6 = 14 + 40 + 8 + 48;  // 110
inline constexpr size_t kMaxFrame = kFrameV6;
inline constexpr uint16_t kNtpPort = 123;

struct FrameFields {
  core::Address src;
  core::Address dst;  // same family as src
  uint16_t src_port = 0;
  uint16_t ip_id = 0;
  uint8_t ttl = 64;
  const uint8_t* ntp = nullptr;  // 48 bytes
};

// Writes the frame to `out` (kMaxFrame bytes of room) and returns its length.
size_t write_request_frame(uint8_t* out, const FrameFields& f);

// The bytes of one source's requests that stay the same from request to request (Ethernet, IP
// header but the ID, UDP ports and length) with their checksum partial sums: a request is then
// one copy, three fields and two checksums finished incrementally. write() gives the same bytes
// as write_request_frame with the same fields.
class FrameTemplate {
 public:
  FrameTemplate() = default;
  FrameTemplate(const core::Address& src, const core::Address& dst, uint8_t ttl);

  // Writes the frame to `out`, which needs kMaxFrame bytes of room even for an IPv4 frame (the
  // bytes past the frame are scratch), and returns its length.
  size_t write(uint8_t* out, uint16_t src_port, uint16_t ip_id, const uint8_t* ntp) const;

 private:
  uint8_t bytes_[kMaxFrame] = {};
  uint32_t ip_sum_ = 0;   // IPv4 header words without the ID and checksum (unused for IPv6)
  uint32_t udp_sum_ = 0;  // pseudo-header plus the UDP words but the source port and payload
  bool v4_ = true;
};

// IP bytes of a request as iotcensus counts them (IPv4 total length; IPv6 payload + 40).
inline uint32_t ip_bytes(bool v4) {
  return v4 ? 76 : 96;
}

}  // namespace iotcensus::simulate

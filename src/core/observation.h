// One NTP message as seen on the wire: when, from whom to whom, and its decoded header.
// Made by decode/ or serve/, read by classify/ and tally/. Small, copyable, no heap.
#pragma once

#include <cstdint>

#include "core/address.h"
#include "core/ntp_header.h"

namespace iotcensus::core {

struct Observation {
  int64_t time_ns = 0;  // capture time, UTC nanoseconds since the Unix epoch
  Address src;
  Address dst;
  uint16_t src_port = 0;
  uint16_t dst_port = 0;
  uint16_t ip_length = 0;    // IPv4 total length, or IPv6 payload length + 40
  uint16_t udp_length = 0;   // from the UDP header
  uint16_t ntp_length = 0;   // UDP payload bytes actually present
  uint32_t wire_length = 0;  // frame length on the wire (pcap orig_len)
  uint8_t ip_version = 0;    // 4 or 6
  uint8_t ttl = 0;           // IPv4 TTL or IPv6 hop limit
  // Whenever `payload` is set, `ntp` is what decode/ decodes from payload[0, ntp_length): the
  // match cache takes equal bytes for an equal header.
  NtpHeader ntp;
  const uint8_t* payload = nullptr;  // the NTP bytes; valid only while the packet is
};

}  // namespace iotcensus::core

// Builds test frames (link + IP + UDP + NTP bytes) and writes them as pcap or pcapng files in
// every variant the reader must accept, so tests can make inputs that tshark then checks too.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace iotcensus::testing {

using Bytes = std::vector<uint8_t>;

// The 48-byte request of the flawed Netgear SNTP client: 0x0b then 47 zero bytes.
Bytes netgear_request();
// A 48-byte NTP header with the given first byte (LI/VN/mode) and a transmit timestamp.
Bytes ntp_header(uint8_t li_vn_mode, uint8_t stratum, uint64_t transmit);

struct UdpSpec {
  std::string src = "192.0.2.1";  // IPv4 or IPv6 text
  std::string dst = "128.105.39.11";
  uint16_t src_port = 23457;
  uint16_t dst_port = 123;
  Bytes payload;
  Bytes ipv4_options;            // appended to the IPv4 header (multiple of 4)
  bool ipv6_hop_by_hop = false;  // add an 8-byte hop-by-hop header
  bool ipv6_dest_options = false;
  int fragment = 0;  // 0 none; 1 first fragment (MF set); 2 later fragment
};

// IP header (v4 or v6 by address) + UDP header + payload.
Bytes ip_udp(const UdpSpec& spec);

enum class Link {
  kEthernet,
  kVlan,
  kQinQ,
  kLinuxSll,
  kLinuxSll2,
  kRaw,
  kNull,
  kLoop,
  kIpv4,
  kIpv6
};
uint32_t link_type(Link link);
// Wraps an IP packet in the link layer.
Bytes frame(Link link, const Bytes& ip);

struct Record {
  int64_t time_ns = 0;
  Bytes data;
  uint32_t interface = 0;    // pcapng only
  uint32_t wire_length = 0;  // 0: same as data size
};

struct PcapOptions {
  bool big_endian = false;
  bool nanosecond = false;
  uint32_t link_type = 1;
};
void write_pcap(const std::string& path, const std::vector<Record>& records, PcapOptions opt);

struct PcapngInterface {
  uint32_t link_type = 1;
  uint32_t snap_length = 0;
  int tsresol = -1;  // -1: default (10^-6); otherwise the raw if_tsresol byte
};
struct PcapngSection {
  bool big_endian = false;
  std::vector<PcapngInterface> interfaces;
  std::vector<Record> records;
  bool simple_packets = false;  // write Simple Packet Blocks instead of EPBs
};
void write_pcapng(const std::string& path, const std::vector<PcapngSection>& sections);

}  // namespace iotcensus::testing

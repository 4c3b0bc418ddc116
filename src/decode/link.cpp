#include "decode/link.h"

namespace iotcensus::decode {

namespace {
constexpr uint16_t kEtherIpv4 = 0x0800;
constexpr uint16_t kEtherIpv6 = 0x86dd;

LinkResult by_ethertype(uint16_t ethertype, Bytes rest) {
  if (ethertype == kEtherIpv4 || ethertype == kEtherIpv6) return {true, SkipReason::kNotIp, rest};
  return {false, SkipReason::kNotIp, {}};
}

LinkResult by_ip_version(Bytes rest) {
  if (!rest.has(1)) return {false, SkipReason::kLinkTruncated, {}};
  const uint8_t v = rest.data[0] >> 4;
  if (v == 4 || v == 6) return {true, SkipReason::kNotIp, rest};
  return {false, SkipReason::kNotIp, {}};
}

LinkResult by_address_family(uint32_t af, Bytes rest) {
  // AF_INET is 2 everywhere; AF_INET6 is 10 (Linux), 24 (BSDs), 28 (FreeBSD), 30 (macOS).
  if (af == 2 || af == 10 || af == 24 || af == 28 || af == 30) return by_ip_version(rest);
  return {false, SkipReason::kNotIp, {}};
}
}  // namespace

bool link_type_supported(uint32_t t) {
  switch (t) {
    case kLinkNull:
    case kLinkEthernet:
    case kLinkRawDlt:
    case kLinkRawOpenBsd:
    case kLinkRaw:
    case kLinkLoop:
    case kLinkLinuxSll:
    case kLinkIpv4:
    case kLinkIpv6:
    case kLinkLinuxSll2:
      return true;
    default:
      return false;
  }
}

const char* link_type_name(uint32_t t) {
  switch (t) {
    case kLinkNull:
      return "BSD loopback (NULL)";
    case kLinkEthernet:
      return "Ethernet";
    case kLinkRawDlt:
    case kLinkRawOpenBsd:
    case kLinkRaw:
      return "raw IP";
    case kLinkLoop:
      return "OpenBSD loopback";
    case kLinkLinuxSll:
      return "Linux cooked v1";
    case kLinkIpv4:
      return "raw IPv4";
    case kLinkIpv6:
      return "raw IPv6";
    case kLinkLinuxSll2:
      return "Linux cooked v2";
    default:
      return "unsupported";
  }
}

LinkResult decode_link(uint32_t link_type, Bytes f) {
  switch (link_type) {
    case kLinkEthernet: {
      if (!f.has(14)) return {false, SkipReason::kLinkTruncated, {}};
      uint16_t ethertype = be16(f.data + 12);
      Bytes rest = f.skip(14);
      // 802.1Q, 802.1ad (QinQ) and the old 0x9100 QinQ tag, any depth.
      while (ethertype == 0x8100 || ethertype == 0x88a8 || ethertype == 0x9100) {
        if (!rest.has(4)) return {false, SkipReason::kLinkTruncated, {}};
        ethertype = be16(rest.data + 2);
        rest = rest.skip(4);
      }
      return by_ethertype(ethertype, rest);
    }
    case kLinkLinuxSll:
      if (!f.has(16)) return {false, SkipReason::kLinkTruncated, {}};
      return by_ethertype(be16(f.data + 14), f.skip(16));
    case kLinkLinuxSll2:
      if (!f.has(20)) return {false, SkipReason::kLinkTruncated, {}};
      return by_ethertype(be16(f.data), f.skip(20));
    case kLinkRawDlt:
    case kLinkRawOpenBsd:
    case kLinkRaw:
    case kLinkIpv4:
    case kLinkIpv6:
      return by_ip_version(f);
    case kLinkNull: {
      if (!f.has(4)) return {false, SkipReason::kLinkTruncated, {}};
      // Host byte order of the machine that captured: a small value is in one of the two.
      uint32_t le = uint32_t{f.data[0]} | (uint32_t{f.data[1]} << 8) | (uint32_t{f.data[2]} << 16) |
                    (uint32_t{f.data[3]} << 24);
      uint32_t af = le < 0x10000 ? le : be32(f.data);
      return by_address_family(af, f.skip(4));
    }
    case kLinkLoop:
      if (!f.has(4)) return {false, SkipReason::kLinkTruncated, {}};
      return by_address_family(be32(f.data), f.skip(4));
    default:
      return {false, SkipReason::kUnsupportedLink, {}};
  }
}

}  // namespace iotcensus::decode

// Link-layer decoders: Ethernet (802.1Q, QinQ), Linux cooked v1/v2, raw IP, BSD null/loop,
// each reduced to "the IP packet starts here" or a skip reason.
#pragma once

#include <cstdint>

#include "decode/bytes.h"
#include "decode/skip_reason.h"

namespace iotcensus::decode {

// LINKTYPE_* values (https://www.tcpdump.org/linktypes.html) this decoder understands.
inline constexpr uint32_t kLinkNull = 0;
inline constexpr uint32_t kLinkEthernet = 1;
inline constexpr uint32_t kLinkRawOpenBsd = 14;
inline constexpr uint32_t kLinkRawDlt = 12;
inline constexpr uint32_t kLinkRaw = 101;
inline constexpr uint32_t kLinkLoop = 108;
inline constexpr uint32_t kLinkLinuxSll = 113;
inline constexpr uint32_t kLinkIpv4 = 228;
inline constexpr uint32_t kLinkIpv6 = 229;
inline constexpr uint32_t kLinkLinuxSll2 = 276;

bool link_type_supported(uint32_t link_type);
const char* link_type_name(uint32_t link_type);

struct LinkResult {
  bool ok = false;
  SkipReason reason = SkipReason::kNotIp;
  Bytes ip;  // the network-layer packet when ok
};

LinkResult decode_link(uint32_t link_type, Bytes frame);

}  // namespace iotcensus::decode

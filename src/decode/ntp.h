// Decodes an NTP message of any mode (RFC 5905 header, RFC 7822 extension fields, MACs, the
// mode 6 control and mode 7 private headers) from a UDP payload into core::NtpHeader.
#pragma once

#include "core/ntp_header.h"
#include "decode/bytes.h"

namespace iotcensus::decode {

inline constexpr uint16_t kNtpPort = 123;
inline constexpr size_t kNtpHeaderLength = 48;
inline constexpr size_t kNtpControlHeaderLength = 12;
inline constexpr size_t kNtpPrivateHeaderLength = 8;

enum class NtpStatus : uint8_t {
  kOk,
  kTruncated,            // shorter than the header of its mode
  kTrailerInconsistent,  // decoded, but what follows the header is neither EFs nor a MAC
};

NtpStatus decode_ntp(Bytes payload, core::NtpHeader& out);

}  // namespace iotcensus::decode

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

// The fields of bytes 1-47 of a mode 1-5 header (`h` holds at least kNtpHeaderLength bytes):
// stratum to transmit timestamp. Shared by decode_ntp and the common-frame fast path.
inline void decode_header_fields(const uint8_t* h, core::NtpHeader& out) {
  out.stratum = h[1];
  out.poll = static_cast<int8_t>(h[2]);
  out.precision = static_cast<int8_t>(h[3]);
  out.root_delay = be32(h + 4);
  out.root_dispersion = be32(h + 8);
  out.reference_id = be32(h + 12);
  out.reference_ts = be64(h + 16);
  out.origin_ts = be64(h + 24);
  out.receive_ts = be64(h + 32);
  out.transmit_ts = be64(h + 40);
}

}  // namespace iotcensus::decode

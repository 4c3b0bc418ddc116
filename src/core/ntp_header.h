// The fields of an NTP message (RFC 5905 section 7.3, RFC 1305 appendix B for modes 6 and 7)
// as a plain value: times stay 32.32 fixed point here and are only turned into text in report/.
#pragma once

#include <cstdint>

namespace iotcensus::core {

//  0                   1                   2                   3
//  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// |LI | VN  |Mode |    Stratum     |     Poll      |  Precision   |
// |                         Root Delay (16.16)                    |
// |                      Root Dispersion (16.16)                  |
// |                          Reference ID                         |
// |                     Reference Timestamp (64)                  |
// |                      Origin Timestamp (64)                    |
// |                      Receive Timestamp (64)                   |
// |                      Transmit Timestamp (64)                  |
// .                    Extension Fields (optional)                .
// |                  Key Identifier + dgst (optional)             |
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
enum class NtpMode : uint8_t {
  kReserved = 0,
  kSymmetricActive = 1,
  kSymmetricPassive = 2,
  kClient = 3,
  kServer = 4,
  kBroadcast = 5,
  kControl = 6,
  kPrivate = 7,
};

// Timestamp fields of a mode 1-5 message.
enum class NtpTimestamp : uint8_t { kReference, kOrigin, kReceive, kTransmit };

struct NtpHeader {
  uint8_t leap = 0;     // 0-3
  uint8_t version = 0;  // 0-7
  uint8_t mode = 0;     // 0-7, see NtpMode
  uint8_t stratum = 0;
  int8_t poll = 0;               // log2 seconds
  int8_t precision = 0;          // log2 seconds
  uint32_t root_delay = 0;       // 16.16 seconds
  uint32_t root_dispersion = 0;  // 16.16 seconds
  uint32_t reference_id = 0;     // four bytes in network order packed big-endian
  uint64_t reference_ts = 0;     // 32.32 NTP era 0 seconds
  uint64_t origin_ts = 0;
  uint64_t receive_ts = 0;
  uint64_t transmit_ts = 0;

  // What follows the 48-byte header (modes 1-5).
  uint8_t extension_fields = 0;  // count of RFC 7822 extension fields
  uint16_t extension_bytes = 0;  // their total length
  uint8_t mac_length = 0;        // 0, 4 (crypto-NAK), 20 (MD5) or 24 (SHA-1) incl. key id
  uint32_t key_id = 0;

  // Modes 6 and 7.
  uint8_t control_opcode = 0;  // mode 6: opcode (low 5 bits of byte 1)
  bool control_response = false;
  uint8_t private_request = 0;  // mode 7: request code (42 = MON_GETLIST_1, 20 = MON_GETLIST)
  uint8_t private_implementation = 0;

  uint64_t timestamp(NtpTimestamp which) const {
    switch (which) {
      case NtpTimestamp::kReference:
        return reference_ts;
      case NtpTimestamp::kOrigin:
        return origin_ts;
      case NtpTimestamp::kReceive:
        return receive_ts;
      case NtpTimestamp::kTransmit:
        return transmit_ts;
    }
    return 0;
  }
};

// Seconds between the NTP era 0 epoch (1900) and the Unix epoch (1970).
inline constexpr int64_t kNtpUnixOffset = 2'208'988'800;

}  // namespace iotcensus::core

#include "decode/ntp.h"

namespace iotcensus::decode {

namespace {
bool is_mac_length(size_t n) {
  return n == 4 || n == 20 || n == 24;
}

// RFC 7822: extension fields of at least 16 bytes (4-byte aligned) until what is left is
// nothing or a MAC (key id + 16- or 20-byte digest; 4 bytes alone is a crypto-NAK).
NtpStatus decode_trailer(Bytes t, core::NtpHeader& out) {
  if (t.size == 0) return NtpStatus::kOk;
  if (is_mac_length(t.size)) {
    out.mac_length = static_cast<uint8_t>(t.size);
    out.key_id = be32(t.data);
    return NtpStatus::kOk;
  }
  size_t ef_bytes = 0;
  uint8_t ef_count = 0;
  while (t.size >= 16) {
    const uint16_t len = be16(t.data + 2);
    if (len < 16 || len % 4 != 0 || len > t.size) break;
    ++ef_count;
    ef_bytes += len;
    t = t.skip(len);
    if (t.size == 0 || is_mac_length(t.size)) {
      out.extension_fields = ef_count;
      out.extension_bytes = static_cast<uint16_t>(ef_bytes);
      if (t.size != 0) {
        out.mac_length = static_cast<uint8_t>(t.size);
        out.key_id = be32(t.data);
      }
      return NtpStatus::kOk;
    }
  }
  return NtpStatus::kTrailerInconsistent;
}
}  // namespace

NtpStatus decode_ntp(Bytes p, core::NtpHeader& out) {
  if (!p.has(1)) return NtpStatus::kTruncated;
  const uint8_t b0 = p.data[0];
  out.leap = b0 >> 6;
  out.version = (b0 >> 3) & 7;
  out.mode = b0 & 7;
  if (out.mode == static_cast<uint8_t>(core::NtpMode::kControl)) {
    //  LI VN Mode | R E M Opcode | Sequence | Status | Association ID | Offset | Count | Data
    if (!p.has(kNtpControlHeaderLength)) return NtpStatus::kTruncated;
    out.control_response = (p.data[1] & 0x80) != 0;
    out.control_opcode = p.data[1] & 0x1f;
    return NtpStatus::kOk;
  }
  if (out.mode == static_cast<uint8_t>(core::NtpMode::kPrivate)) {
    //  R M VN Mode | A Sequence | Implementation | Request code | Err Nitems | MBZ Itemsize
    if (!p.has(kNtpPrivateHeaderLength)) return NtpStatus::kTruncated;
    out.control_response = (p.data[0] & 0x80) != 0;
    out.private_implementation = p.data[2];
    out.private_request = p.data[3];
    return NtpStatus::kOk;
  }
  if (!p.has(kNtpHeaderLength)) return NtpStatus::kTruncated;
  decode_header_fields(p.data, out);
  return decode_trailer(p.skip(kNtpHeaderLength), out);
}

}  // namespace iotcensus::decode

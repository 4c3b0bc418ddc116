// Frame assembly with the RFC 1071 checksums (IPv4 header, UDP over the pseudo-header), plainly
// and from a per-source template whose checksum sums are finished per request.

#include "simulate/frame.h"

#include <cstring>

namespace iotcensus::simulate {

namespace {

void put16(uint8_t* p, uint16_t v) {
  p[0] = static_cast<uint8_t>(v >> 8);
  p[1] = static_cast<uint8_t>(v);
}
void put64(uint8_t* p, uint64_t v) {
  for (int i = 0; i < 8; ++i) p[i] = static_cast<uint8_t>(v >> (56 - 8 * i));
}
uint32_t sum16(const uint8_t* p, size_t n, uint32_t acc = 0) {
  for (size_t i = 0; i + 1 < n; i += 2) acc += (uint32_t{p[i]} << 8) | p[i + 1];
  return acc;
}
uint16_t fold(uint32_t acc) {
  while (acc >> 16) acc = (acc & 0xffff) + (acc >> 16);
  return static_cast<uint16_t>(~acc);
}

// Ones' complement sum of the 24 big-endian 16-bit words of an NTP header, reduced below 2^17.
// 2^16 = 1 (mod 0xffff), so 32-bit halves of big-endian 64-bit words sum to the same residue.
uint32_t ntp_sum(const uint8_t* ntp) {
  uint64_t acc = 0;
  for (int i = 0; i < 6; ++i) {
    uint64_t w = 0;
    std::memcpy(&w, ntp + 8 * i, 8);
    w = __builtin_bswap64(w);
    acc += (w >> 32) + (w & 0xffffffffu);
  }
  acc = (acc & 0xffffffffu) + (acc >> 32);
  acc = (acc & 0xffffu) + (acc >> 16);
  acc = (acc & 0xffffu) + (acc >> 16);
  return static_cast<uint32_t>(acc);
}

constexpr uint8_t kServerMac[6] = {0x02, 0x00, 0x5e, 0x00, 0x01, 0x23};

}  // namespace

size_t write_request_frame(uint8_t* out, const FrameFields& f) {
  const bool v4 = f.src.is_v4();
  std::memcpy(out, kServerMac, 6);
  // A locally administered source MAC (the last hop's router), stable per source address.
  const uint64_t m = f.src.lo * 0x9e3779b97f4a7c15ULL ^ f.src.hi;
  out[6] = 0x02;
  for (int i = 0; i < 5; ++i) out[7 + i] = static_cast<uint8_t>(m >> (8 * i + 16));
  put16(out + 12, v4 ? 0x0800 : 0x86dd);
  uint8_t* ip = out + 14;
  uint8_t* udp;
  uint32_t pseudo;
  if (v4) {
    ip[0] = 0x45;
    ip[1] = 0;
    put16(ip + 2, 76);
    put16(ip + 4, f.ip_id);
    put16(ip + 6, 0);
    ip[8] = f.ttl;
    ip[9] = 17;
    put16(ip + 10, 0);
    const uint32_t s = f.src.v4(), d = f.dst.v4();
    put16(ip + 12, static_cast<uint16_t>(s >> 16));
    put16(ip + 14, static_cast<uint16_t>(s));
    put16(ip + 16, static_cast<uint16_t>(d >> 16));
    put16(ip + 18, static_cast<uint16_t>(d));
    put16(ip + 10, fold(sum16(ip, 20)));
    pseudo = sum16(ip + 12, 8, 17 + 56);
    udp = ip + 20;
  } else {
    put16(ip, 0x6000);
    put16(ip + 2, 0);
    put16(ip + 4, 56);
    ip[6] = 17;
    ip[7] = f.ttl;
    put64(ip + 8, f.src.hi);
    put64(ip + 16, f.src.lo);
    put64(ip + 24, f.dst.hi);
    put64(ip + 32, f.dst.lo);
    pseudo = sum16(ip + 8, 32, 17 + 56);
    udp = ip + 40;
  }
  put16(udp, f.src_port);
  put16(udp + 2, kNtpPort);
  put16(udp + 4, 56);
  put16(udp + 6, 0);
  std::memcpy(udp + 8, f.ntp, 48);
  uint16_t sum = fold(sum16(udp, 56, pseudo));
  put16(udp + 6, sum == 0 ? 0xffff : sum);
  return v4 ? kFrameV4 : kFrameV6;
}

// The sums fold to the same checksums as write_request_frame's: each is congruent modulo 0xffff
// to the plain word sum and, like it, never zero (the constant words are not), which is all the
// folded ones' complement value depends on.
FrameTemplate::FrameTemplate(const core::Address& src, const core::Address& dst, uint8_t ttl)
    : v4_(src.is_v4()) {
  static constexpr uint8_t kZeroNtp[48] = {};
  FrameFields f;
  f.src = src;
  f.dst = dst;
  f.ttl = ttl;
  f.ntp = kZeroNtp;
  write_request_frame(bytes_, f);  // port, ID, payload and checksums are replaced per request
  uint8_t* ip = bytes_ + 14;
  if (v4_) {
    put16(ip + 10, 0);
    ip_sum_ = sum16(ip, 20);
    udp_sum_ = sum16(ip + 12, 8, 17 + 56);
  } else {
    udp_sum_ = sum16(ip + 8, 32, 17 + 56);
  }
  udp_sum_ += kNtpPort + 56;
}

size_t FrameTemplate::write(uint8_t* out, uint16_t src_port, uint16_t ip_id,
                            const uint8_t* ntp) const {
  std::memcpy(out, bytes_, kMaxFrame);
  uint8_t* udp;
  if (v4_) {
    uint8_t* ip = out + 14;
    put16(ip + 4, ip_id);
    put16(ip + 10, fold(ip_sum_ + ip_id));
    udp = ip + 20;
  } else {
    udp = out + 14 + 40;
  }
  put16(udp, src_port);
  std::memcpy(udp + 8, ntp, 48);
  const uint16_t sum = fold(udp_sum_ + src_port + ntp_sum(ntp));
  put16(udp + 6, sum == 0 ? 0xffff : sum);
  return v4_ ? kFrameV4 : kFrameV6;
}

}  // namespace iotcensus::simulate

#include "core/address.h"

#include <arpa/inet.h>

#include <cstring>

namespace iotcensus::core {

namespace {
uint64_t load_be64(const uint8_t* p) {
  uint64_t v = 0;
  for (int i = 0; i < 8; ++i) v = (v << 8) | p[i];
  return v;
}
void store_be64(uint8_t* p, uint64_t v) {
  for (int i = 7; i >= 0; --i) {
    p[i] = static_cast<uint8_t>(v);
    v >>= 8;
  }
}
uint64_t high_mask(int bits) {  // the first `bits` (0-64) bits of a 64-bit word set
  if (bits <= 0) return 0;
  if (bits >= 64) return ~0ULL;
  return ~0ULL << (64 - bits);
}
}  // namespace

Address Address::from_v4_bytes(const uint8_t* p) {
  uint32_t v = (uint32_t{p[0]} << 24) | (uint32_t{p[1]} << 16) | (uint32_t{p[2]} << 8) | p[3];
  return from_v4(v);
}

Address Address::from_v6_bytes(const uint8_t* p) {
  return {load_be64(p), load_be64(p + 8)};
}

std::array<uint8_t, 16> Address::bytes() const {
  std::array<uint8_t, 16> out{};
  store_be64(out.data(), hi);
  store_be64(out.data() + 8, lo);
  return out;
}

std::optional<Address> Address::parse(std::string_view text) {
  std::string s(text);
  uint8_t buf[16];
  if (s.find(':') == std::string::npos) {
    if (inet_pton(AF_INET, s.c_str(), buf) == 1) return from_v4_bytes(buf);
    return std::nullopt;
  }
  if (inet_pton(AF_INET6, s.c_str(), buf) == 1) return from_v6_bytes(buf);
  return std::nullopt;
}

std::string Address::to_string() const {
  char out[INET6_ADDRSTRLEN];
  auto b = bytes();
  if (is_v4()) {
    inet_ntop(AF_INET, b.data() + 12, out, sizeof out);
  } else {
    inet_ntop(AF_INET6, b.data(), out, sizeof out);
  }
  return out;
}

Address Address::prefix(int bits) const {
  if (is_v4()) {
    if (bits >= 32) return *this;
    uint32_t mask = bits <= 0 ? 0 : ~0U << (32 - bits);
    return from_v4(v4() & mask);
  }
  return {hi & high_mask(bits), lo & high_mask(bits - 64)};
}

bool is_special_purpose_slash24(uint32_t p) {
  const uint32_t a = p >> 16, b = (p >> 8) & 0xff, c = p & 0xff;
  if (a == 0 || a == 10 || a == 127 || a >= 224) return true;
  if (a == 100 && b >= 64 && b <= 127) return true;  // shared address space
  if (a == 169 && b == 254) return true;
  if (a == 172 && b >= 16 && b <= 31) return true;
  if (a == 192 && (b == 168 || (b == 0 && (c == 0 || c == 2)))) return true;
  if (a == 198 && (b == 18 || b == 19 || (b == 51 && c == 100))) return true;
  return a == 203 && b == 0 && c == 113;
}

}  // namespace iotcensus::core

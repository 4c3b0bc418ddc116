// Bounds-checked big-endian reads from packet bytes in place: callers check `has(n)` once per
// header, then read fields at fixed offsets without further branches.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>

namespace iotcensus::decode {

inline uint16_t be16(const uint8_t* p) {
  return static_cast<uint16_t>((p[0] << 8) | p[1]);
}
inline uint32_t be32(const uint8_t* p) {
  uint32_t v;
  std::memcpy(&v, p, 4);
  return __builtin_bswap32(v);
}
inline uint64_t be64(const uint8_t* p) {
  uint64_t v;
  std::memcpy(&v, p, 8);
  return __builtin_bswap64(v);
}

// A view of the bytes not yet decoded.
struct Bytes {
  const uint8_t* data = nullptr;
  size_t size = 0;
  bool has(size_t n) const { return size >= n; }
  Bytes skip(size_t n) const { return {data + n, size - n}; }
  Bytes first(size_t n) const { return {data, n < size ? n : size}; }
};

}  // namespace iotcensus::decode

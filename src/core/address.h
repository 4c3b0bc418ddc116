// An IPv4 or IPv6 address as one 128-bit value (IPv4 is stored IPv4-mapped, ::ffff:a.b.c.d),
// so that every stage hashes, compares, stores and cuts prefixes of both families the same way.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace iotcensus::core {

struct Address {
  uint64_t hi = 0;  // bytes 0..7, big-endian order
  uint64_t lo = 0;  // bytes 8..15

  static constexpr uint64_t kV4MappedLoPrefix = 0x0000ffff00000000ULL;

  static Address from_v4(uint32_t host_order) { return {0, kV4MappedLoPrefix | host_order}; }
  static Address from_v4_bytes(const uint8_t* network_order);
  static Address from_v6_bytes(const uint8_t* network_order);
  static Address from_bytes(const std::array<uint8_t, 16>& bytes) {
    return from_v6_bytes(bytes.data());
  }
  // Parses dotted IPv4 or RFC 4291 IPv6 text; nullopt when it is neither.
  static std::optional<Address> parse(std::string_view text);

  bool is_v4() const { return hi == 0 && (lo >> 32) == 0xffff; }
  uint32_t v4() const { return static_cast<uint32_t>(lo); }
  std::array<uint8_t, 16> bytes() const;
  std::string to_string() const;

  // Keeps the first `bits` of the family's own address (0-32 for IPv4, 0-128 for IPv6).
  Address prefix(int bits) const;

  friend bool operator==(const Address&, const Address&) = default;
  friend auto operator<=>(const Address&, const Address&) = default;
};

// True when the /24 whose first 24 bits are `prefix24` lies in IPv4 special-purpose space
// (RFC 6890: this-network, private, loopback, shared, link-local, documentation, benchmarking,
// multicast and reserved), i.e. not where public devices live. Used to make test populations.
bool is_special_purpose_slash24(uint32_t prefix24);

}  // namespace iotcensus::core

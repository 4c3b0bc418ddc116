// Crypto-PAn prefix-preserving IPv4/IPv6 anonymization (Xu, Fan, Ammar, Moon 2002) on AES-128.
// A CryptoPan owns an OpenSSL AES context and a bounded prefix cache; use one per thread.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "core/address.h"

namespace iotcensus::privacy {

inline constexpr std::size_t kCryptoPanKeyBytes = 32;
// Default cache budgets. Address space is reserved up front; memory is committed as entries are
// used (in 2 MiB transparent huge pages where the kernel allows, to spare TLB misses).
inline constexpr std::size_t kDefaultV4CacheBytes = std::size_t{32} << 20;
inline constexpr std::size_t kDefaultV6CacheBytes = std::size_t{16} << 20;
// A cached /24 first fills its 256-entry last-byte table lazily (8 AES blocks per new last byte);
// after this many lazy fills it computes the whole table at once (255 AES blocks in one batch).
inline constexpr std::uint32_t kDefaultV4LazyFillsBeforeFullTable = 2;

struct CryptoPanStats {
  // An address answered entirely from the cache (no AES work) counts as a hit, any other as a miss.
  std::uint64_t cache_hits = 0;
  std::uint64_t cache_misses = 0;
  // Entries dropped from any cache level to make room (IPv4: round-robin within an 8-way set;
  // IPv6: least recently used entry of an 8-way set).
  std::uint64_t evictions = 0;
  // Number of AES-128 block encryptions done (the key schedule's one-off encryptions of the pad
  // and hash salt are included).
  std::uint64_t aes_calls = 0;
};

// How AES-128 is computed; every choice gives the same output.
enum class CryptoPanAes {
  // The CPU's AES instructions where it has them: VAES (two blocks per instruction, 256-bit
  // registers), else AES-NI; else OpenSSL EVP. With AES instructions the inputs of an address's
  // bit positions are formed, encrypted and their output bits collected in registers, instead of
  // going through memory and an EVP call per batch of blocks.
  kFastest,
  kAesNi128,    // AES-NI on 128-bit registers even if the CPU has VAES (else EVP)
  kOpenSslEvp,  // always OpenSSL's EVP interface (as on a CPU without AES instructions)
};

struct CryptoPanOptions {
  // Memory budget of the IPv4 cache: per-/24 entries holding the anonymized 24-bit prefix and a
  // table of the 256 anonymized last bytes. 0 disables the IPv4 cache.
  std::size_t v4_cache_bytes = kDefaultV4CacheBytes;
  // Memory budget of the IPv6 caches (exact address, /64 and /48 prefixes). 0 disables them.
  std::size_t v6_cache_bytes = kDefaultV6CacheBytes;
  std::uint32_t v4_lazy_fills_before_full_table = kDefaultV4LazyFillsBeforeFullTable;
  CryptoPanAes aes = CryptoPanAes::kFastest;
};

class CryptoPan {
 public:
  // key: exactly 32 bytes (bytes 0-15 the AES key, bytes 16-31 the pad seed, as in the original
  // Crypto-PAn distribution). Returns std::nullopt and sets *error (when non-null) on failure.
  static std::optional<CryptoPan> create(std::span<const std::uint8_t> key, std::string* error);
  static std::optional<CryptoPan> create(std::span<const std::uint8_t> key,
                                         const CryptoPanOptions& options, std::string* error);

  CryptoPan(CryptoPan&& other) noexcept;
  CryptoPan& operator=(CryptoPan&& other) noexcept;
  CryptoPan(const CryptoPan&) = delete;
  CryptoPan& operator=(const CryptoPan&) = delete;
  ~CryptoPan();

  // Address and result in host byte order (1.2.3.4 == 0x01020304). Must not be called on a
  // moved-from object. Never throws; aborts the process if AES fails rather than emit raw data.
  std::uint32_t anonymize_v4(std::uint32_t address_host_order);
  // Address and result in network byte order (as in struct in6_addr).
  std::array<std::uint8_t, 16> anonymize_v6(const std::array<std::uint8_t, 16>& address);

  // Batches: out[i] = anonymize_*(in[i]) for i < n (`out` may be `in`), but faster: the cache
  // lookups of neighbouring addresses overlap, and the AES blocks of several addresses go
  // through one EVP call. Pass as many addresses at once as are at hand.
  void anonymize_v4_batch(const std::uint32_t* in, std::uint32_t* out, std::size_t n);
  void anonymize_v6_batch(const std::array<std::uint8_t, 16>* in, std::array<std::uint8_t, 16>* out,
                          std::size_t n);
  // Both families (IPv4 as IPv4-mapped addresses, see core::Address).
  void anonymize_batch(const core::Address* in, core::Address* out, std::size_t n);

  CryptoPanStats stats() const;
  // Empties every cache (keeps the key). Counters are kept.
  void clear_cache();
  // Bytes reserved for the caches (upper bound of what they can touch).
  std::size_t cache_capacity_bytes() const;

 private:
  struct State;
  explicit CryptoPan(std::unique_ptr<State> state);
  std::unique_ptr<State> state_;
};

// Parses a key given as 64 hex characters (whitespace allowed around) into 32 bytes.
std::optional<std::array<std::uint8_t, kCryptoPanKeyBytes>> parse_key_hex(std::string_view hex,
                                                                          std::string* error);

}  // namespace iotcensus::privacy

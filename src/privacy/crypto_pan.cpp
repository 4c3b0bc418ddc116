// Crypto-PAn implementation: AES-128 with the CPU's AES instructions where it has them (VAES or
// AES-NI; the inputs of an address's bit positions formed, encrypted and their output bits
// collected in registers), else via OpenSSL EVP with the AES inputs of an address (or of a batch
// of addresses) encrypted in one ECB call; plus set-associative caches (/24 tables for IPv4;
// exact, /64 and /48 for IPv6).
#include "privacy/crypto_pan.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <sys/mman.h>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif
#if defined(__x86_64__)
#include <immintrin.h>
#define IOTCENSUS_CPAN_AESNI 1
// Functions using AES-NI are compiled for it; they run only after a CPUID check.
#define IOTCENSUS_AESNI_TARGET __attribute__((target("aes")))
// VAES: the AES instructions on 256-bit registers, two blocks per instruction.
#define IOTCENSUS_VAES_TARGET __attribute__((target("aes,vaes,avx2")))
#else
#define IOTCENSUS_CPAN_AESNI 0
#endif

#include <algorithm>
#include <bit>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <type_traits>
#include <utility>

namespace iotcensus::privacy {
namespace {

// Crypto-PAn facts: bit i of the output is bit i of the input XOR the first bit of
// AES_k(first i bits of the input || bits i..127 of the padding block). All inputs of one
// address depend only on that address, so they can be encrypted together in one ECB batch.
constexpr std::size_t kBlockBytes = 16;
constexpr std::size_t kWays = 8;               // IPv6 caches: 8-way sets, LRU inside a set
constexpr std::size_t kV4Ways = 8;             // IPv4 cache: 8-way sets, round-robin replacement
constexpr std::size_t kMaxSets = 0xFFFFFFFFu;  // reduce() maps onto at most 2^32 - 1 sets
constexpr unsigned kV4PrefixBits = 24;
constexpr std::size_t kV4TableNodes = 255;  // inner nodes of the binary trie over the last byte
constexpr std::size_t kV4MaxBlocks = kV4PrefixBits + kV4TableNodes;
constexpr std::size_t kV6MaxBlocks = 128;
// Batches: the AES inputs of several addresses go through one EVP call (OpenSSL's AES-NI ECB code
// keeps several blocks in flight), and cache lookups of neighbouring addresses overlap.
constexpr std::size_t kBatchBlocks = 1024;
constexpr std::size_t kV4Chunk = 32;                           // addresses per cached chunk
constexpr std::size_t kV4UncachedChunk = kBatchBlocks / 32;    // 32 blocks per address
constexpr std::size_t kV6Chunk = kBatchBlocks / kV6MaxBlocks;  // up to 128 blocks per address
constexpr std::size_t kV6Ahead = 4;       // AES-NI batch: prefetch distance in addresses
constexpr std::size_t kMixedChunk = 256;  // anonymize_batch's family split
static_assert(kV4MaxBlocks <= kBatchBlocks);
constexpr std::uint32_t kV4PrefixMaskBits = 0xFFFFFF00u;
constexpr std::uint32_t kV4CompleteFlag =
    1u;  // kept in the unused low byte of a stored prefix mask
constexpr std::uint32_t kV4TagValid = 1u << 24;  // tag = (address >> 8) | kV4TagValid; 0 = empty
constexpr std::uint64_t kTop48 = 0xFFFFFFFFFFFF0000ull;

static_assert(std::endian::native == std::endian::little ||
              std::endian::native == std::endian::big);

std::uint64_t to_big_endian(std::uint64_t v) {
  if constexpr (std::endian::native == std::endian::little) return __builtin_bswap64(v);
  return v;
}
std::uint32_t to_big_endian(std::uint32_t v) {
  if constexpr (std::endian::native == std::endian::little) return __builtin_bswap32(v);
  return v;
}

std::uint64_t load_be64(const std::uint8_t* p) {
  std::uint64_t v = 0;
  std::memcpy(&v, p, sizeof(v));
  return to_big_endian(v);
}

void store_be64(std::uint8_t* p, std::uint64_t v) {
  v = to_big_endian(v);
  std::memcpy(p, &v, sizeof(v));
}

std::uint32_t load_be32(const std::uint8_t* p) {
  std::uint32_t v = 0;
  std::memcpy(&v, p, sizeof(v));
  return to_big_endian(v);
}

void store_be32(std::uint8_t* p, std::uint32_t v) {
  v = to_big_endian(v);
  std::memcpy(p, &v, sizeof(v));
}

// Mask with the first `bits` (0..32) most significant bits set.
std::uint32_t top_mask32(unsigned bits) {
  return bits == 0 ? 0u : ~std::uint32_t{0} << (32 - bits);
}
std::uint64_t top_mask64(unsigned bits) {
  return bits == 0 ? 0u : ~std::uint64_t{0} << (64 - bits);
}

std::uint64_t mix64(std::uint64_t x) {
  x ^= x >> 31;
  x *= 0xD6E8FEB86659FD93ull;
  x ^= x >> 32;
  x *= 0xD6E8FEB86659FD93ull;
  x ^= x >> 32;
  return x;
}

// Maps a hash onto [0, sets) without needing a power-of-two set count.
std::size_t reduce(std::uint64_t hash, std::size_t sets) {
  return static_cast<std::size_t>(((hash >> 32) * static_cast<std::uint64_t>(sets)) >> 32);
}

void set_error(std::string* error, std::string text) {
  if (error != nullptr) *error = std::move(text);
}

// Zero-initialised, 64-byte aligned array of a trivial type, mapped straight from the OS so that
// pages are only backed once touched. Large arrays ask for transparent huge pages: cache lookups
// are random accesses, and with 4 KiB pages nearly every one of them would also miss the TLB.
template <typename T>
class ZeroedArray {
  static_assert(std::is_trivial_v<T>);

 public:
  ZeroedArray() = default;
  ZeroedArray(const ZeroedArray&) = delete;
  ZeroedArray& operator=(const ZeroedArray&) = delete;
  ~ZeroedArray() { release(); }

  bool allocate(std::size_t count) {
    release();
    if (count == 0) return true;
    if (count > (SIZE_MAX - kHugePageBytes) / sizeof(T)) return false;
    map_bytes_ = count * sizeof(T);
    if (map_bytes_ >= kHugePageBytes) {
      // Over-map by one huge page so the array can start on a huge-page boundary.
      map_bytes_ += kHugePageBytes;
    }
    void* map =
        mmap(nullptr, map_bytes_, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (map == MAP_FAILED) {
      map_bytes_ = 0;
      return false;
    }
    map_ = map;
    auto address = reinterpret_cast<std::uintptr_t>(map);
    if (count * sizeof(T) >= kHugePageBytes) {
      address = (address + kHugePageBytes - 1) & ~std::uintptr_t{kHugePageBytes - 1};
      // Advisory only: without THP the array still works, just with more TLB misses.
      (void)madvise(reinterpret_cast<void*>(address), count * sizeof(T), MADV_HUGEPAGE);
    }
    data_ = reinterpret_cast<T*>(address);
    count_ = count;
    return true;
  }
  void zero() {
    if (count_ != 0) std::memset(static_cast<void*>(data_), 0, count_ * sizeof(T));
  }
  T* data() { return data_; }
  const T* data() const { return data_; }
  std::size_t size() const { return count_; }
  std::size_t bytes() const { return count_ * sizeof(T); }

 private:
  static constexpr std::size_t kHugePageBytes = std::size_t{2} << 20;

  void release() {
    if (map_ != nullptr) munmap(map_, map_bytes_);
    map_ = nullptr;
    map_bytes_ = 0;
    data_ = nullptr;
    count_ = 0;
  }

  void* map_ = nullptr;
  std::size_t map_bytes_ = 0;
  T* data_ = nullptr;
  std::size_t count_ = 0;
};

struct U128 {
  std::uint64_t hi;
  std::uint64_t lo;
};
bool operator==(const U128& a, const U128& b) {
  return a.hi == b.hi && a.lo == b.lo;
}

// Set-associative cache (kWays ways) with LRU replacement inside a set. A stamp of 0 marks an empty
// way.
template <typename Key, typename Value>
class AssocCache {
 public:
  struct Set {
    Key keys[kWays];
    Value values[kWays];
    std::uint64_t stamps[kWays];
  };

  bool init(std::size_t budget_bytes) {
    const std::size_t sets = std::min<std::size_t>(budget_bytes / sizeof(Set), kMaxSets);
    return sets_.allocate(sets);
  }
  bool enabled() const { return sets_.size() != 0; }
  void clear() { sets_.zero(); }
  std::size_t bytes() const { return sets_.bytes(); }

  // Starts loading the set `hash` maps onto, so that a later find or insert does not wait.
  // Always inlined: GCC considers a function that only prefetches free of side effects and
  // deletes calls to it (which it did here, until the prefetches were found missing in the
  // machine code); inlined, the prefetches stay.
  [[gnu::always_inline]] inline void prefetch(std::uint64_t hash) const {
    if (sets_.size() == 0) return;
    const auto* bytes = reinterpret_cast<const char*>(&sets_.data()[reduce(hash, sets_.size())]);
    for (std::size_t offset = 0; offset < sizeof(Set); offset += 64) {
      __builtin_prefetch(bytes + offset);
    }
  }

  const Value* find(const Key& key, std::uint64_t hash, std::uint64_t tick) {
    Set& set = sets_.data()[reduce(hash, sets_.size())];
    for (std::size_t w = 0; w < kWays; ++w) {
      if (set.stamps[w] != 0 && set.keys[w] == key) {
        set.stamps[w] = tick;
        return &set.values[w];
      }
    }
    return nullptr;
  }

  // Returns true when a live entry was evicted to make room.
  bool insert(const Key& key, const Value& value, std::uint64_t hash, std::uint64_t tick) {
    Set& set = sets_.data()[reduce(hash, sets_.size())];
    std::size_t victim = 0;
    for (std::size_t w = 0; w < kWays; ++w) {
      if (set.stamps[w] == 0 || set.keys[w] == key) {
        victim = w;
        break;
      }
      if (set.stamps[w] < set.stamps[victim]) victim = w;
    }
    const bool evicted = set.stamps[victim] != 0 && !(set.keys[victim] == key);
    set.keys[victim] = key;
    set.values[victim] = value;
    set.stamps[victim] = tick;
    return evicted;
  }

 private:
  ZeroedArray<Set> sets_;
};

// IPv4 cache: a hit reads one 64-byte line of tags and prefix masks, then one line of a table.
// Hits write nothing (replacement is round-robin per set), so the tag lines stay clean.
struct alignas(64) V4Set {
  std::uint32_t tags[kV4Ways];  // (address >> 8) | kV4TagValid; 0 = empty way
  std::uint32_t
      masks[kV4Ways];  // anonymization mask of bits 0..23 (in bits 8..31) | kV4CompleteFlag
};
static_assert(sizeof(V4Set) == 64);

struct alignas(64) V4Table {
  std::uint8_t last_byte[256];  // anonymization mask of bits 24..31 for each last byte
  std::uint64_t valid[4];  // which entries of last_byte are filled (only read while not complete)
  std::uint32_t lazy_fills;
};

// Bit w set when way w of the set holds `tag`. Branch-free: the matching way is random, so a
// search loop would mispredict on most lookups.
unsigned matching_ways(const V4Set& set, std::uint32_t tag) {
#if defined(__SSE2__)
  static_assert(kV4Ways == 8);
  const __m128i needle = _mm_set1_epi32(static_cast<int>(tag));
  const __m128i low = _mm_load_si128(reinterpret_cast<const __m128i*>(&set.tags[0]));
  const __m128i high = _mm_load_si128(reinterpret_cast<const __m128i*>(&set.tags[4]));
  const int low_bits = _mm_movemask_ps(_mm_castsi128_ps(_mm_cmpeq_epi32(low, needle)));
  const int high_bits = _mm_movemask_ps(_mm_castsi128_ps(_mm_cmpeq_epi32(high, needle)));
  return static_cast<unsigned>(low_bits | (high_bits << 4));
#else
  unsigned match = 0;
  for (std::size_t w = 0; w < kV4Ways; ++w) {
    match |= static_cast<unsigned>(set.tags[w] == tag) << w;
  }
  return match;
#endif
}

#if IOTCENSUS_CPAN_AESNI
// AES-128 with the CPU's AES instructions, used instead of OpenSSL's EVP when the CPU has them
// (same cipher, same output; tested against EVP). It lets the Crypto-PAn inputs be formed in
// registers and the one output bit per block be collected from registers, instead of going
// through a 16-byte input and output block in memory per bit and an EVP call per batch.
struct AesNiKey {
  __m128i round[11];
};

template <int kRcon>
IOTCENSUS_AESNI_TARGET __m128i next_round_key(__m128i key) {
  __m128i assist = _mm_aeskeygenassist_si128(key, kRcon);
  assist = _mm_shuffle_epi32(assist, _MM_SHUFFLE(3, 3, 3, 3));
  key = _mm_xor_si128(key, _mm_slli_si128(key, 4));
  key = _mm_xor_si128(key, _mm_slli_si128(key, 4));
  key = _mm_xor_si128(key, _mm_slli_si128(key, 4));
  return _mm_xor_si128(key, assist);
}

IOTCENSUS_AESNI_TARGET void aesni_expand_key(const std::uint8_t* key, AesNiKey& k) {
  k.round[0] = _mm_loadu_si128(reinterpret_cast<const __m128i*>(key));
  k.round[1] = next_round_key<0x01>(k.round[0]);
  k.round[2] = next_round_key<0x02>(k.round[1]);
  k.round[3] = next_round_key<0x04>(k.round[2]);
  k.round[4] = next_round_key<0x08>(k.round[3]);
  k.round[5] = next_round_key<0x10>(k.round[4]);
  k.round[6] = next_round_key<0x20>(k.round[5]);
  k.round[7] = next_round_key<0x40>(k.round[6]);
  k.round[8] = next_round_key<0x80>(k.round[7]);
  k.round[9] = next_round_key<0x1B>(k.round[8]);
  k.round[10] = next_round_key<0x36>(k.round[9]);
}

// Eight independent blocks through the 10 rounds (round 0's key already XORed in), interleaved so
// that the AES unit has a block to work on every cycle.
IOTCENSUS_AESNI_TARGET inline void aesni_rounds8(const AesNiKey& k, __m128i* b) {
#pragma GCC unroll 9
  for (int r = 1; r < 10; ++r) {
    const __m128i rk = k.round[r];
#pragma GCC unroll 8
    for (int j = 0; j < 8; ++j) b[j] = _mm_aesenc_si128(b[j], rk);
  }
  const __m128i last = k.round[10];
#pragma GCC unroll 8
  for (int j = 0; j < 8; ++j) b[j] = _mm_aesenclast_si128(b[j], last);
}

// ECB: `blocks` blocks from in to out.
IOTCENSUS_AESNI_TARGET void aesni_encrypt_blocks(const AesNiKey& k, const std::uint8_t* in,
                                                 std::uint8_t* out, std::size_t blocks) {
  const auto* src = reinterpret_cast<const __m128i*>(in);
  auto* dst = reinterpret_cast<__m128i*>(out);
  std::size_t i = 0;
  for (; i + 8 <= blocks; i += 8) {
    __m128i b[8];
#pragma GCC unroll 8
    for (int j = 0; j < 8; ++j) b[j] = _mm_xor_si128(_mm_loadu_si128(src + i + j), k.round[0]);
    aesni_rounds8(k, b);
#pragma GCC unroll 8
    for (int j = 0; j < 8; ++j) _mm_storeu_si128(dst + i + j, b[j]);
  }
  for (; i < blocks; ++i) {
    __m128i b = _mm_xor_si128(_mm_loadu_si128(src + i), k.round[0]);
    for (int r = 1; r < 10; ++r) b = _mm_aesenc_si128(b, k.round[r]);
    _mm_storeu_si128(dst + i, _mm_aesenclast_si128(b, k.round[10]));
  }
}

// Crypto-PAn output bits for the bit positions [from, to) (multiples of 8) of the 16-byte input
// `address` (network order; IPv4: its 4 bytes first, the rest ignored): the input block of
// position p is pad ^ ((address ^ pad) & prefix_mask[p]), its output bit is the top bit of the
// first output byte. bits[p / 8] receives the 8 bits of positions p..p+7, first position in the
// top bit; other bytes are left alone.
IOTCENSUS_AESNI_TARGET void aesni_pan_bits(const AesNiKey& k, const std::uint8_t* address,
                                           const std::uint8_t* pad,
                                           const std::uint8_t* prefix_masks, unsigned from,
                                           unsigned to, std::uint8_t* bits) {
  const __m128i pad_block = _mm_loadu_si128(reinterpret_cast<const __m128i*>(pad));
  const __m128i diff =
      _mm_xor_si128(_mm_loadu_si128(reinterpret_cast<const __m128i*>(address)), pad_block);
  const __m128i pad_round0 = _mm_xor_si128(pad_block, k.round[0]);
  const auto* masks = reinterpret_cast<const __m128i*>(prefix_masks);
  for (unsigned pos = from; pos < to; pos += 8) {
    __m128i b[8];
#pragma GCC unroll 8
    for (int j = 0; j < 8; ++j) {
      b[j] = _mm_xor_si128(pad_round0, _mm_and_si128(diff, _mm_load_si128(masks + pos + j)));
    }
    aesni_rounds8(k, b);
    // Byte 0 of blocks 7..0 into bytes 0..7, so that the movemask has block 0's bit on top.
    const __m128i b76 = _mm_unpacklo_epi8(b[7], b[6]);
    const __m128i b54 = _mm_unpacklo_epi8(b[5], b[4]);
    const __m128i b32 = _mm_unpacklo_epi8(b[3], b[2]);
    const __m128i b10 = _mm_unpacklo_epi8(b[1], b[0]);
    const __m128i high = _mm_unpacklo_epi16(b76, b54);
    const __m128i low = _mm_unpacklo_epi16(b32, b10);
    const __m128i gathered = _mm_unpacklo_epi32(high, low);
    bits[pos / 8] = static_cast<std::uint8_t>(_mm_movemask_epi8(gathered) & 0xFF);
  }
}

// The top bit of the first output byte (0x80 or 0) of each of the blocks base ^ deltas[i],
// i < blocks (a multiple of 8), into tops[i].
IOTCENSUS_AESNI_TARGET void aesni_top_bytes(const AesNiKey& k, const std::uint8_t* base,
                                            const std::uint8_t* deltas, std::size_t blocks,
                                            std::uint8_t* tops) {
  const __m128i base_round0 =
      _mm_xor_si128(_mm_loadu_si128(reinterpret_cast<const __m128i*>(base)), k.round[0]);
  const auto* delta = reinterpret_cast<const __m128i*>(deltas);
  for (std::size_t i = 0; i < blocks; i += 8) {
    __m128i b[8];
#pragma GCC unroll 8
    for (int j = 0; j < 8; ++j) b[j] = _mm_xor_si128(base_round0, _mm_load_si128(delta + i + j));
    aesni_rounds8(k, b);
#pragma GCC unroll 8
    for (int j = 0; j < 8; ++j)
      tops[i + j] = static_cast<std::uint8_t>(_mm_cvtsi128_si32(b[j]) & 0x80);
  }
}

// The same two functions with VAES: 16 blocks in flight in 8 registers.
IOTCENSUS_VAES_TARGET inline void vaes_rounds8(const AesNiKey& k, __m256i* b) {
#pragma GCC unroll 9
  for (int r = 1; r < 10; ++r) {
    const __m256i rk = _mm256_broadcastsi128_si256(k.round[r]);
#pragma GCC unroll 8
    for (int j = 0; j < 8; ++j) b[j] = _mm256_aesenc_epi128(b[j], rk);
  }
  const __m256i last = _mm256_broadcastsi128_si256(k.round[10]);
#pragma GCC unroll 8
  for (int j = 0; j < 8; ++j) b[j] = _mm256_aesenclast_epi128(b[j], last);
}

IOTCENSUS_VAES_TARGET void vaes_pan_bits(const AesNiKey& k, const std::uint8_t* address,
                                         const std::uint8_t* pad, const std::uint8_t* prefix_masks,
                                         unsigned from, unsigned to, std::uint8_t* bits) {
  const __m128i pad_block = _mm_loadu_si128(reinterpret_cast<const __m128i*>(pad));
  const __m256i diff = _mm256_broadcastsi128_si256(
      _mm_xor_si128(_mm_loadu_si128(reinterpret_cast<const __m128i*>(address)), pad_block));
  const __m256i pad_round0 = _mm256_broadcastsi128_si256(_mm_xor_si128(pad_block, k.round[0]));
  unsigned pos = from;
  for (; pos + 16 <= to; pos += 16) {
    __m256i b[8];
#pragma GCC unroll 8
    for (int j = 0; j < 8; ++j) {
      // Lane 0: position pos + 2j, lane 1: pos + 2j + 1.
      const __m256i mask = _mm256_loadu_si256(
          reinterpret_cast<const __m256i*>(prefix_masks + (pos + 2 * j) * kBlockBytes));
      b[j] = _mm256_xor_si256(pad_round0, _mm256_and_si256(diff, mask));
    }
    vaes_rounds8(k, b);
    unsigned word = 0;  // position pos in bit 15
#pragma GCC unroll 8
    for (int j = 0; j < 8; ++j) {
      const auto top = static_cast<unsigned>(_mm256_movemask_epi8(b[j]));
      word |= ((top & 1u) << (15 - 2 * j)) | (((top >> 16) & 1u) << (14 - 2 * j));
    }
    bits[pos / 8] = static_cast<std::uint8_t>(word >> 8);
    bits[pos / 8 + 1] = static_cast<std::uint8_t>(word);
  }
  if (pos < to) aesni_pan_bits(k, address, pad, prefix_masks, pos, to, bits);
}

IOTCENSUS_VAES_TARGET void vaes_top_bytes(const AesNiKey& k, const std::uint8_t* base,
                                          const std::uint8_t* deltas, std::size_t blocks,
                                          std::uint8_t* tops) {
  const __m256i base_round0 = _mm256_broadcastsi128_si256(
      _mm_xor_si128(_mm_loadu_si128(reinterpret_cast<const __m128i*>(base)), k.round[0]));
  std::size_t i = 0;
  for (; i + 16 <= blocks; i += 16) {
    __m256i b[8];
#pragma GCC unroll 8
    for (int j = 0; j < 8; ++j) {
      b[j] = _mm256_xor_si256(base_round0,
                              _mm256_loadu_si256(reinterpret_cast<const __m256i*>(
                                  deltas + (i + 2 * static_cast<std::size_t>(j)) * kBlockBytes)));
    }
    vaes_rounds8(k, b);
#pragma GCC unroll 8
    for (int j = 0; j < 8; ++j) {
      const auto top = static_cast<unsigned>(_mm256_movemask_epi8(b[j]));
      tops[i + 2 * static_cast<std::size_t>(j)] = static_cast<std::uint8_t>((top & 1u) << 7);
      tops[i + 2 * static_cast<std::size_t>(j) + 1] =
          static_cast<std::uint8_t>(((top >> 16) & 1u) << 7);
    }
  }
  if (i < blocks) aesni_top_bytes(k, base, deltas + i * kBlockBytes, blocks - i, tops + i);
}

bool cpu_has_aesni() {
  return __builtin_cpu_supports("aes") != 0;
}
bool cpu_has_vaes() {
  return cpu_has_aesni() && __builtin_cpu_supports("vaes") != 0 &&
         __builtin_cpu_supports("avx2") != 0;
}
#endif

}  // namespace

struct CryptoPan::State {
  State() = default;
  State(const State&) = delete;
  State& operator=(const State&) = delete;
  ~State() {
    if (ctx != nullptr) EVP_CIPHER_CTX_free(ctx);
    OPENSSL_cleanse(&pad_hi, sizeof(pad_hi));
    OPENSSL_cleanse(&pad_lo, sizeof(pad_lo));
    OPENSSL_cleanse(&pad_v4, sizeof(pad_v4));
    OPENSSL_cleanse(v4_node_low.data(), v4_node_low.size());
    OPENSSL_cleanse(&salt, sizeof(salt));
    OPENSSL_cleanse(v4_in.data(), v4_in.size());
    OPENSSL_cleanse(v6_in.data(), v6_in.size());
    OPENSSL_cleanse(out.data(), out.size());
    OPENSSL_cleanse(pad_block.data(), pad_block.size());
    OPENSSL_cleanse(v4_node_deltas.data(), v4_node_deltas.size());
#if IOTCENSUS_CPAN_AESNI
    OPENSSL_cleanse(&aes_key, sizeof(aes_key));
#endif
  }

  // Encrypts `blocks` blocks from `in` into `out`. Fails closed: emitting an address that was not
  // anonymized is worse than stopping.
  void encrypt(const std::uint8_t* in, std::size_t blocks) {
#if IOTCENSUS_CPAN_AESNI
    if (hardware_aes) {
      aesni_encrypt_blocks(aes_key, in, out.data(), blocks);
      stats.aes_calls += blocks;
      return;
    }
#endif
    int out_len = 0;
    const int in_len = static_cast<int>(blocks * kBlockBytes);
    if (EVP_EncryptUpdate(ctx, out.data(), &out_len, in, in_len) != 1 || out_len != in_len) {
      std::fputs("iotcensus: Crypto-PAn AES encryption failed; aborting\n", stderr);
      std::abort();
    }
    stats.aes_calls += blocks;
  }

  // With hardware_aes: the mask bits of positions [from, to) (multiples of 8) of a 16-byte input,
  // computed in registers (see aesni_pan_bits); bytes outside [from / 8, to / 8) are zero.
  std::array<std::uint8_t, kBlockBytes> hw_bits(const std::uint8_t* address, unsigned from,
                                                unsigned to) {
    std::array<std::uint8_t, kBlockBytes> bits{};
#if IOTCENSUS_CPAN_AESNI
    if (wide_aes) {
      vaes_pan_bits(aes_key, address, pad_block.data(), prefix_masks.data(), from, to, bits.data());
    } else {
      aesni_pan_bits(aes_key, address, pad_block.data(), prefix_masks.data(), from, to,
                     bits.data());
    }
#else
    (void)address;
    std::abort();  // hardware_aes is never set without AES-NI support compiled in
#endif
    stats.aes_calls += to - from;
    return bits;
  }
  // ORs the mask bits of positions [from, 128) of hi:lo into mask.
  void hw_v6_mask(std::uint64_t hi, std::uint64_t lo, unsigned from, U128& mask) {
    std::uint8_t address[kBlockBytes];
    store_be64(address, hi);
    store_be64(address + 8, lo);
    const auto bits = hw_bits(address, from, 128);
    mask.hi |= load_be64(bits.data());
    mask.lo |= load_be64(bits.data() + 8);
  }
  std::uint32_t hw_v4_mask(std::uint32_t address, unsigned from, unsigned to) {
    std::uint8_t bytes[kBlockBytes] = {};
    store_be32(bytes, address);
    return load_be32(hw_bits(bytes, from, to).data());
  }

  // The helpers below copy members into locals first: stores through uint8_t pointers may alias
  // anything, which would otherwise make the compiler reload members on every iteration.

  // Writes into v4_in (pad already there) the inputs for bit positions [from, to) of `address`.
  void build_v4_range(std::size_t first_block, std::uint32_t address, unsigned from, unsigned to) {
    const std::uint32_t pad = pad_v4;
    std::uint8_t* dst = v4_in.data() + first_block * kBlockBytes;
    for (unsigned pos = from; pos < to; ++pos, dst += kBlockBytes) {
      const std::uint32_t keep = top_mask32(pos);
      store_be32(dst, (address & keep) | (pad & ~keep));
    }
  }

  std::uint32_t extract_v4_range(std::size_t first_block, unsigned from, unsigned to) const {
    const std::uint8_t* src = out.data() + first_block * kBlockBytes;
    std::uint32_t mask = 0;
    for (unsigned pos = from; pos < to; ++pos, src += kBlockBytes) {
      mask |= static_cast<std::uint32_t>(*src >> 7) << (31 - pos);
    }
    return mask;
  }

  // Inputs for the 255 trie nodes below a /24: node n (1..255) at depth d = bit_width(n) - 1
  // stands for the last-byte prefix n - 2^d of d bits, i.e. bit position 24 + d. The first three
  // bytes of every such input are the /24 itself; the last byte depends only on the node and the
  // pad, so it is precomputed in v4_node_low.
  void build_v4_table(std::size_t first_block, std::uint32_t prefix24) {
    const std::uint32_t high = prefix24 << 8;
    std::uint8_t* dst = v4_in.data() + first_block * kBlockBytes;
    for (std::size_t node = 1; node <= kV4TableNodes; ++node, dst += kBlockBytes) {
      store_be32(dst, high | v4_node_low[node]);
    }
  }

  void init_v4_node_low() {
    for (unsigned node = 1; node <= kV4TableNodes; ++node) {
      const unsigned depth = static_cast<unsigned>(std::bit_width(node)) - 1;
      const std::uint32_t bits = (node - (1u << depth)) << (8 - depth);
      const std::uint32_t keep = top_mask32(kV4PrefixBits + depth) & 0xFFu;
      v4_node_low[node] = static_cast<std::uint8_t>((bits & keep) | (pad_v4 & ~keep & 0xFFu));
    }
  }

  // Fills the last-byte table from the 255 node outputs: partial[n] collects the mask bits on the
  // path from the root down to node n; each last byte takes the path of its depth-7 node.
  void extract_v4_table(std::size_t first_block, V4Table& table) const {
    extract_v4_table(out.data() + first_block * kBlockBytes, kBlockBytes, table);
  }
  // The same from the first output bytes of nodes 1..255 at src, src + stride, ...
  static void extract_v4_table(const std::uint8_t* src, std::size_t stride, V4Table& table) {
    std::uint8_t partial[256];
    partial[0] = 0;
    unsigned node = 1;
    for (unsigned depth = 0; depth < 8; ++depth) {
      for (unsigned i = 0; i < (1u << depth); ++i, ++node, src += stride) {
        partial[node] = static_cast<std::uint8_t>(partial[node >> 1] | ((*src & 0x80u) >> depth));
      }
    }
    for (unsigned k = 0; k < 128; ++k) {
      table.last_byte[2 * k] = table.last_byte[2 * k + 1] = partial[128 + k];
    }
    for (auto& word : table.valid) word = ~std::uint64_t{0};
  }

  // With hardware_aes: the 255 trie nodes below a /24 computed in registers (node i's input is
  // the pad with the /24 in its first three bytes, XOR v4_node_deltas[i]; see build_v4_table).
  void hw_v4_table(std::uint32_t prefix24, V4Table& table) {
    alignas(16) std::uint8_t tops[kV4TableNodes + 1];
    std::uint8_t base[kBlockBytes];
    std::memcpy(base, pad_block.data(), kBlockBytes);
    base[0] = static_cast<std::uint8_t>(prefix24 >> 16);
    base[1] = static_cast<std::uint8_t>(prefix24 >> 8);
    base[2] = static_cast<std::uint8_t>(prefix24);
#if IOTCENSUS_CPAN_AESNI
    // Node 0 does not exist; its block is computed (a multiple of 8) but not counted or used.
    if (wide_aes) {
      vaes_top_bytes(aes_key, base, v4_node_deltas.data(), kV4TableNodes + 1, tops);
    } else {
      aesni_top_bytes(aes_key, base, v4_node_deltas.data(), kV4TableNodes + 1, tops);
    }
#else
    std::abort();  // hardware_aes is never set without AES-NI support compiled in
#endif
    OPENSSL_cleanse(base, sizeof(base));
    stats.aes_calls += kV4TableNodes;
    extract_v4_table(tops + 1, 1, table);
  }

  // The miss paths are kept out of line so that the hit path stays small (no register spills).
  [[gnu::noinline]] std::uint32_t anonymize_v4_uncached(std::uint32_t address) {
    if (hardware_aes) {
      ++stats.cache_misses;
      return address ^ hw_v4_mask(address, 0, 32);
    }
    build_v4_range(0, address, 0, 32);
    encrypt(v4_in.data(), 32);
    ++stats.cache_misses;
    return address ^ extract_v4_range(0, 0, 32);
  }

  std::uint32_t anonymize_v4(std::uint32_t address) {
    if (v4_sets.size() == 0) return anonymize_v4_uncached(address);
    const std::uint32_t prefix = address >> 8;
    const std::uint32_t tag = prefix | kV4TagValid;
    const unsigned last = address & 0xFFu;
    const std::size_t set_index = reduce(mix64(prefix ^ salt), v4_sets.size());
    V4Set& set = v4_sets.data()[set_index];
    const unsigned match = matching_ways(set, tag);
    if (match == 0) return v4_insert(set_index, address);
    const auto way = static_cast<std::size_t>(std::countr_zero(match));
    const V4Table& table = v4_tables.data()[set_index * kV4Ways + way];
    const std::uint32_t stored = set.masks[way];
    if ((stored & kV4CompleteFlag) == 0 && ((table.valid[last >> 6] >> (last & 63)) & 1u) == 0) {
      return v4_fill(set_index, way, address);
    }
    ++stats.cache_hits;
    return address ^ ((stored & kV4PrefixMaskBits) | table.last_byte[last]);
  }

  // The /24 is cached but this last byte is not: fill it alone, or the whole table once the
  // /24 has had lazy_limit lazy fills.
  [[gnu::noinline]] std::uint32_t v4_fill(std::size_t set_index, std::size_t way,
                                          std::uint32_t address) {
    ++stats.cache_misses;
    V4Set& set = v4_sets.data()[set_index];
    V4Table& table = v4_tables.data()[set_index * kV4Ways + way];
    const std::uint32_t prefix_mask = set.masks[way] & kV4PrefixMaskBits;
    const unsigned last = address & 0xFFu;
    if (table.lazy_fills >= lazy_limit) {
      if (hardware_aes) {
        hw_v4_table(address >> 8, table);
      } else {
        build_v4_table(0, address >> 8);
        encrypt(v4_in.data(), kV4TableNodes);
        extract_v4_table(0, table);
      }
      set.masks[way] = prefix_mask | kV4CompleteFlag;
    } else {
      if (hardware_aes) {
        table.last_byte[last] = static_cast<std::uint8_t>(hw_v4_mask(address, kV4PrefixBits, 32));
      } else {
        build_v4_range(0, address, kV4PrefixBits, 32);
        encrypt(v4_in.data(), 32 - kV4PrefixBits);
        table.last_byte[last] = static_cast<std::uint8_t>(extract_v4_range(0, kV4PrefixBits, 32));
      }
      table.valid[last >> 6] |= std::uint64_t{1} << (last & 63);
      ++table.lazy_fills;
    }
    return address ^ (prefix_mask | table.last_byte[last]);
  }

  // The /24 is not cached: take an empty way, else the next way in round-robin order.
  [[gnu::noinline]] std::uint32_t v4_insert(std::size_t set_index, std::uint32_t address) {
    ++stats.cache_misses;
    V4Set& set = v4_sets.data()[set_index];
    const unsigned last = address & 0xFFu;
    std::size_t victim = kV4Ways;
    for (std::size_t w = 0; w < kV4Ways; ++w) {
      if (set.tags[w] == 0) {
        victim = w;
        break;
      }
    }
    if (victim == kV4Ways) {
      std::uint8_t& cursor = v4_cursors.data()[set_index];
      victim = cursor % kV4Ways;
      cursor = static_cast<std::uint8_t>((victim + 1) % kV4Ways);
      ++stats.evictions;
    }
    V4Table& table = v4_tables.data()[set_index * kV4Ways + victim];
    std::uint32_t stored = 0;
    if (lazy_limit == 0 && hardware_aes) {
      stored = hw_v4_mask(address, 0, kV4PrefixBits) | kV4CompleteFlag;
      hw_v4_table(address >> 8, table);
    } else if (lazy_limit == 0) {
      build_v4_range(0, address, 0, kV4PrefixBits);
      build_v4_table(kV4PrefixBits, address >> 8);
      encrypt(v4_in.data(), kV4MaxBlocks);
      stored = extract_v4_range(0, 0, kV4PrefixBits) | kV4CompleteFlag;
      extract_v4_table(kV4PrefixBits, table);
    } else {
      std::uint32_t mask = 0;
      if (hardware_aes) {
        mask = hw_v4_mask(address, 0, 32);
      } else {
        build_v4_range(0, address, 0, 32);
        encrypt(v4_in.data(), 32);
        mask = extract_v4_range(0, 0, 32);
      }
      stored = mask & kV4PrefixMaskBits;
      table.valid[0] = table.valid[1] = table.valid[2] = table.valid[3] = 0;
      table.valid[last >> 6] = std::uint64_t{1} << (last & 63);
      table.last_byte[last] = static_cast<std::uint8_t>(mask);
      table.lazy_fills = 1;
    }
    set.tags[victim] = (address >> 8) | kV4TagValid;
    set.masks[victim] = stored;
    return address ^ ((stored & kV4PrefixMaskBits) | table.last_byte[last]);
  }

  // Writes into v6_in, from block first_block on, the inputs for bit positions [from, 128) of
  // hi:lo.
  void build_v6_range(std::size_t first_block, std::uint64_t hi, std::uint64_t lo, unsigned from) {
    const std::uint64_t phi = pad_hi;
    const std::uint64_t plo = pad_lo;
    std::uint8_t* dst = v6_in.data() + first_block * kBlockBytes;
    for (unsigned pos = from; pos < 64; ++pos, dst += kBlockBytes) {
      const std::uint64_t keep = top_mask64(pos);
      store_be64(dst, (hi & keep) | (phi & ~keep));
      store_be64(dst + 8, plo);
    }
    for (unsigned pos = std::max(from, 64u); pos < 128; ++pos, dst += kBlockBytes) {
      const std::uint64_t keep = top_mask64(pos - 64);
      store_be64(dst, hi);
      store_be64(dst + 8, (lo & keep) | (plo & ~keep));
    }
  }

  // Collects the output bits of the blocks for positions [from, 128) into mask.
  void extract_v6_range(std::size_t first_block, unsigned from, U128& mask) const {
    const std::uint8_t* src = out.data() + first_block * kBlockBytes;
    std::uint64_t mhi = mask.hi;
    std::uint64_t mlo = mask.lo;
    for (unsigned pos = from; pos < 64; ++pos, src += kBlockBytes)
      mhi |= (std::uint64_t{*src} >> 7) << (63 - pos);
    for (unsigned pos = std::max(from, 64u); pos < 128; ++pos, src += kBlockBytes) {
      mlo |= (std::uint64_t{*src} >> 7) << (127 - pos);
    }
    mask.hi = mhi;
    mask.lo = mlo;
  }

  // An IPv6 address's hashes for the three caches (computed ahead of use in batches, so that the
  // cache sets can be prefetched).
  struct V6Hashed {
    U128 address;
    std::uint64_t exact_hash;
    std::uint64_t hash64;
    std::uint64_t hash48;
  };
  V6Hashed hash_v6(const std::array<std::uint8_t, 16>& address) const {
    const std::uint64_t hi = load_be64(address.data());
    const std::uint64_t lo = load_be64(address.data() + 8);
    return V6Hashed{U128{hi, lo}, mix64(hi ^ salt ^ mix64(lo)), mix64(hi ^ salt),
                    mix64((hi >> 16) ^ ~salt)};
  }

  // The anonymization mask of one address: from the exact cache, else computed from the longest
  // cached prefix on and cached.
  U128 v6_mask(const V6Hashed& h, std::uint64_t now) {
    const std::uint64_t hi = h.address.hi;
    const std::uint64_t lo = h.address.lo;
    if (v6_exact.enabled()) {
      if (const U128* cached = v6_exact.find(h.address, h.exact_hash, now)) {
        ++stats.cache_hits;
        return *cached;
      }
    }
    ++stats.cache_misses;
    U128 mask{0, 0};
    unsigned from = 0;
    const std::uint64_t prefix48 = hi >> 16;
    if (v6_p64.enabled()) {
      if (const std::uint64_t* cached = v6_p64.find(hi, h.hash64, now)) {
        mask.hi = *cached;
        from = 64;
      }
    }
    if (from == 0 && v6_p48.enabled()) {
      if (const std::uint64_t* cached = v6_p48.find(prefix48, h.hash48, now)) {
        mask.hi = *cached;
        from = 48;
      }
    }
    if (hardware_aes) {
      hw_v6_mask(hi, lo, from, mask);
    } else {
      build_v6_range(0, hi, lo, from);
      encrypt(v6_in.data(), 128 - from);
      extract_v6_range(0, from, mask);
    }
    if (from < 48 && v6_p48.enabled() && v6_p48.insert(prefix48, mask.hi & kTop48, h.hash48, now)) {
      ++stats.evictions;
    }
    if (from < 64 && v6_p64.enabled() && v6_p64.insert(hi, mask.hi, h.hash64, now)) {
      ++stats.evictions;
    }
    if (v6_exact.enabled() && v6_exact.insert(h.address, mask, h.exact_hash, now)) {
      ++stats.evictions;
    }
    return mask;
  }

  static void store_v6(const U128& address, const U128& mask, std::array<std::uint8_t, 16>& out) {
    store_be64(out.data(), address.hi ^ mask.hi);
    store_be64(out.data() + 8, address.lo ^ mask.lo);
  }

  std::array<std::uint8_t, 16> anonymize_v6(const std::array<std::uint8_t, 16>& address) {
    const V6Hashed h = hash_v6(address);
    std::array<std::uint8_t, 16> result{};
    store_v6(h.address, v6_mask(h, ++tick), result);
    return result;
  }

  // IPv6 batch with AES-NI: an address's blocks need no batching to keep the AES unit busy (its
  // 64 or 128 inputs are independent), so addresses go one by one; what the batch adds is that
  // the cache sets of the address kV6Ahead places further on are prefetched, a little at a time.
  void anonymize_v6_batch_hw(const std::array<std::uint8_t, 16>* in,
                             std::array<std::uint8_t, 16>* result, std::size_t n) {
    V6Hashed ahead[kV6Ahead];
    auto hash_and_prefetch = [&](std::size_t i) {
      V6Hashed& h = ahead[i % kV6Ahead];
      h = hash_v6(in[i]);
      v6_exact.prefetch(h.exact_hash);
      v6_p64.prefetch(h.hash64);
    };
    for (std::size_t i = 0; i < std::min(n, kV6Ahead); ++i) hash_and_prefetch(i);
    for (std::size_t i = 0; i < n; ++i) {
      const V6Hashed h = ahead[i % kV6Ahead];
      if (i + kV6Ahead < n) hash_and_prefetch(i + kV6Ahead);  // in[i + kV6Ahead] not written yet
      store_v6(h.address, v6_mask(h, ++tick), result[i]);
    }
  }

  // Batches give the same results as the single-address functions (Crypto-PAn is a function of
  // the address; the caches only remember it). IPv4: a chunk of addresses is looked up in three
  // passes, so that its cache misses overlap instead of following one another: hash and prefetch
  // every set, then match the tags and prefetch every table line, then answer; the passes of
  // consecutive chunks are pipelined. An answer re-checks its tag, since a miss answered since
  // its match pass (in this chunk or the one before) may have taken over that way.
  void anonymize_v4_batch(const std::uint32_t* in, std::uint32_t* result, std::size_t n) {
    if (v4_sets.size() == 0) {
      anonymize_v4_uncached_batch(in, result, n);
      return;
    }
    const std::size_t sets = v4_sets.size();
    const std::uint64_t key = salt;
    V4Set* const set_base = v4_sets.data();
    V4Table* const table_base = v4_tables.data();
    // The three passes are pipelined over chunks: chunk c is answered while chunk c + 1 has its
    // table lines and chunk c + 2 its sets on the way from memory.
    struct Chunk {
      std::uint32_t address[kV4Chunk];
      std::uint32_t set_of[kV4Chunk];
      std::uint8_t way_of[kV4Chunk];
    };
    Chunk chunks[3];
    const std::size_t chunk_count = (n + kV4Chunk - 1) / kV4Chunk;
    auto size_of = [&](std::size_t c) { return std::min(kV4Chunk, n - c * kV4Chunk); };
    auto hash_pass = [&](std::size_t c) {
      Chunk& chunk = chunks[c % 3];
      const std::size_t m = size_of(c);
      for (std::size_t i = 0; i < m; ++i) {
        chunk.address[i] = in[c * kV4Chunk + i];  // copied first: `result` may be `in`
        chunk.set_of[i] =
            static_cast<std::uint32_t>(reduce(mix64((chunk.address[i] >> 8) ^ key), sets));
        __builtin_prefetch(&set_base[chunk.set_of[i]]);
      }
    };
    auto match_pass = [&](std::size_t c) {
      Chunk& chunk = chunks[c % 3];
      const std::size_t m = size_of(c);
      for (std::size_t i = 0; i < m; ++i) {
        const std::uint32_t a = chunk.address[i];
        const unsigned match = matching_ways(set_base[chunk.set_of[i]], (a >> 8) | kV4TagValid);
        const auto way = static_cast<std::size_t>(std::countr_zero(match | (1u << kV4Ways)));
        chunk.way_of[i] = static_cast<std::uint8_t>(way);
        if (way != kV4Ways) {
          __builtin_prefetch(&table_base[chunk.set_of[i] * kV4Ways + way].last_byte[a & 0xFFu]);
        }
      }
    };
    auto answer_pass = [&](std::size_t c) {
      const Chunk& chunk = chunks[c % 3];
      const std::size_t m = size_of(c);
      std::uint32_t* out = result + c * kV4Chunk;
      for (std::size_t i = 0; i < m; ++i) {
        const std::uint32_t a = chunk.address[i];
        const std::size_t way = chunk.way_of[i];
        const std::size_t set_index = chunk.set_of[i];
        const V4Set& set = set_base[set_index];
        if (way == kV4Ways || set.tags[way] != ((a >> 8) | kV4TagValid)) {
          out[i] = anonymize_v4(a);
          continue;
        }
        const unsigned last = a & 0xFFu;
        const V4Table& table = table_base[set_index * kV4Ways + way];
        const std::uint32_t stored = set.masks[way];
        if ((stored & kV4CompleteFlag) == 0 &&
            ((table.valid[last >> 6] >> (last & 63)) & 1u) == 0) {
          out[i] = v4_fill(set_index, way, a);
          continue;
        }
        ++stats.cache_hits;
        out[i] = a ^ ((stored & kV4PrefixMaskBits) | table.last_byte[last]);
      }
    };
    for (std::size_t c = 0; c < std::min<std::size_t>(chunk_count, 2); ++c) hash_pass(c);
    if (chunk_count != 0) match_pass(0);
    for (std::size_t c = 0; c < chunk_count; ++c) {
      if (c + 2 < chunk_count) hash_pass(c + 2);
      if (c + 1 < chunk_count) match_pass(c + 1);
      answer_pass(c);
    }
  }

  // Without a cache: the 32 blocks of each of kV4UncachedChunk addresses in one EVP call.
  void anonymize_v4_uncached_batch(const std::uint32_t* in, std::uint32_t* result, std::size_t n) {
    if (hardware_aes) {
      for (std::size_t i = 0; i < n; ++i) result[i] = anonymize_v4_uncached(in[i]);
      return;
    }
    for (std::size_t start = 0; start < n; start += kV4UncachedChunk) {
      const std::size_t m = std::min(kV4UncachedChunk, n - start);
      for (std::size_t i = 0; i < m; ++i) build_v4_range(32 * i, in[start + i], 0, 32);
      encrypt(v4_in.data(), 32 * m);
      for (std::size_t i = 0; i < m; ++i) {
        result[start + i] = in[start + i] ^ extract_v4_range(32 * i, 0, 32);
      }
      stats.cache_misses += m;
    }
  }

  // IPv6: per chunk, every address not in the exact cache has its blocks (from the longest cached
  // prefix on) built into one buffer, encrypted in one EVP call, then its mask is cached.
  void anonymize_v6_batch(const std::array<std::uint8_t, 16>* in,
                          std::array<std::uint8_t, 16>* result, std::size_t n) {
    if (hardware_aes) {
      anonymize_v6_batch_hw(in, result, n);
      return;
    }
    struct Pending {
      U128 address;
      U128 mask;
      std::uint64_t exact_hash;
      std::uint64_t hash64;
      std::uint64_t hash48;
      std::size_t first_block;
      unsigned from;  // 128: answered from the exact cache
    };
    // Two chunks in flight: the next chunk's cache sets are prefetched while this one's AES runs.
    Pending pending[2][kV6Chunk];
    auto hash_and_prefetch = [&](std::size_t start, Pending* chunk) {
      const std::size_t m = std::min(kV6Chunk, n - start);
      for (std::size_t i = 0; i < m; ++i) {
        Pending& p = chunk[i];
        const std::uint64_t hi = load_be64(in[start + i].data());
        const std::uint64_t lo = load_be64(in[start + i].data() + 8);
        p.address = U128{hi, lo};
        p.exact_hash = mix64(hi ^ salt ^ mix64(lo));
        p.hash64 = mix64(hi ^ salt);
        p.hash48 = mix64((hi >> 16) ^ ~salt);
        v6_exact.prefetch(p.exact_hash);
        v6_p64.prefetch(p.hash64);
      }
    };
    if (n != 0) hash_and_prefetch(0, pending[0]);
    for (std::size_t start = 0, round = 0; start < n; start += kV6Chunk, ++round) {
      const std::size_t m = std::min(kV6Chunk, n - start);
      Pending* const chunk = pending[round & 1];
      if (start + kV6Chunk < n) hash_and_prefetch(start + kV6Chunk, pending[(round + 1) & 1]);
      const std::uint64_t now = ++tick;
      std::size_t blocks = 0;
      for (std::size_t i = 0; i < m; ++i) {
        Pending& p = chunk[i];
        const std::uint64_t hi = p.address.hi;
        const std::uint64_t lo = p.address.lo;
        p.mask = U128{0, 0};
        p.first_block = blocks;
        p.from = 0;
        if (v6_exact.enabled()) {
          if (const U128* cached = v6_exact.find(p.address, p.exact_hash, now)) {
            p.mask = *cached;
            p.from = 128;
            ++stats.cache_hits;
            continue;
          }
        }
        ++stats.cache_misses;
        if (v6_p64.enabled()) {
          if (const std::uint64_t* cached = v6_p64.find(hi, p.hash64, now)) {
            p.mask.hi = *cached;
            p.from = 64;
          }
        }
        if (p.from == 0 && v6_p48.enabled()) {
          if (const std::uint64_t* cached = v6_p48.find(hi >> 16, p.hash48, now)) {
            p.mask.hi = *cached;
            p.from = 48;
          }
        }
        build_v6_range(blocks, hi, lo, p.from);
        blocks += 128 - p.from;
      }
      if (blocks != 0) encrypt(v6_in.data(), blocks);
      for (std::size_t i = 0; i < m; ++i) {
        Pending& p = chunk[i];
        if (p.from < 128) {
          extract_v6_range(p.first_block, p.from, p.mask);
          const std::uint64_t hi = p.address.hi;
          if (p.from < 48 && v6_p48.enabled() &&
              v6_p48.insert(hi >> 16, p.mask.hi & kTop48, p.hash48, now)) {
            ++stats.evictions;
          }
          if (p.from < 64 && v6_p64.enabled() && v6_p64.insert(hi, p.mask.hi, p.hash64, now)) {
            ++stats.evictions;
          }
          if (v6_exact.enabled() && v6_exact.insert(p.address, p.mask, p.exact_hash, now)) {
            ++stats.evictions;
          }
        }
        store_be64(result[start + i].data(), p.address.hi ^ p.mask.hi);
        store_be64(result[start + i].data() + 8, p.address.lo ^ p.mask.lo);
      }
    }
  }

  void clear_cache() {
    v4_sets.zero();  // a zero tag marks a way empty; tables are rewritten on insert
    v6_exact.clear();
    v6_p64.clear();
    v6_p48.clear();
  }

  std::size_t cache_bytes() const {
    return v4_sets.bytes() + v4_tables.bytes() + v4_cursors.bytes() + v6_exact.bytes() +
           v6_p64.bytes() + v6_p48.bytes();
  }

  EVP_CIPHER_CTX* ctx = nullptr;
  std::uint64_t pad_hi = 0;  // padding block, most significant half first
  std::uint64_t pad_lo = 0;
  std::uint32_t pad_v4 = 0;                                   // first 32 bits of the padding block
  std::array<std::uint8_t, kV4TableNodes + 1> v4_node_low{};  // see build_v4_table
  std::uint64_t salt = 0;  // secret hash salt so that crafted addresses cannot target one set
  std::uint64_t tick = 0;
  std::uint32_t lazy_limit = kDefaultV4LazyFillsBeforeFullTable;
  CryptoPanStats stats;
  bool hardware_aes = false;  // AES-NI instead of EVP (see aesni_pan_bits)
  bool wide_aes = false;      // and VAES where the CPU has it
#if IOTCENSUS_CPAN_AESNI
  AesNiKey aes_key{};
#endif
  alignas(16) std::array<std::uint8_t, kBlockBytes> pad_block{};
  // v4_node_deltas[i]: byte 3 = v4_node_low[i] XOR the pad's byte 3, else zero (i >= 1).
  alignas(64) std::array<std::uint8_t, (kV4TableNodes + 1) * kBlockBytes> v4_node_deltas{};
  // prefix_masks[p]: the first p bits set (network order), for p < 128.
  alignas(64) std::array<std::uint8_t, kV6MaxBlocks * kBlockBytes> prefix_masks{};

  ZeroedArray<V4Set> v4_sets;
  ZeroedArray<V4Table> v4_tables;
  ZeroedArray<std::uint8_t> v4_cursors;  // per set: next way to replace
  AssocCache<U128, U128> v6_exact;
  AssocCache<std::uint64_t, std::uint64_t> v6_p64;
  AssocCache<std::uint64_t, std::uint64_t> v6_p48;

  alignas(64) std::array<std::uint8_t, kBatchBlocks * kBlockBytes> v4_in{};  // pre-filled: pad
  alignas(64) std::array<std::uint8_t, kBatchBlocks * kBlockBytes> v6_in{};
  alignas(64) std::array<std::uint8_t, kBatchBlocks * kBlockBytes> out{};
};

std::optional<CryptoPan> CryptoPan::create(std::span<const std::uint8_t> key, std::string* error) {
  return create(key, CryptoPanOptions{}, error);
}

std::optional<CryptoPan> CryptoPan::create(std::span<const std::uint8_t> key,
                                           const CryptoPanOptions& options, std::string* error) {
  if (key.size() != kCryptoPanKeyBytes) {
    set_error(error, "Crypto-PAn key must be " + std::to_string(kCryptoPanKeyBytes) +
                         " bytes, got " + std::to_string(key.size()));
    return std::nullopt;
  }
  auto state = std::make_unique<State>();
  state->ctx = EVP_CIPHER_CTX_new();
  if (state->ctx == nullptr) {
    set_error(error, "EVP_CIPHER_CTX_new failed");
    return std::nullopt;
  }
  if (EVP_EncryptInit_ex(state->ctx, EVP_aes_128_ecb(), nullptr, key.data(), nullptr) != 1 ||
      EVP_CIPHER_CTX_set_padding(state->ctx, 0) != 1) {
    set_error(error, "cannot initialise AES-128-ECB");
    return std::nullopt;
  }

#if IOTCENSUS_CPAN_AESNI
  if (options.aes != CryptoPanAes::kOpenSslEvp && cpu_has_aesni()) {
    aesni_expand_key(key.data(), state->aes_key);
    state->hardware_aes = true;
    state->wide_aes = options.aes == CryptoPanAes::kFastest && cpu_has_vaes();
  }
#endif
  for (std::size_t pos = 0; pos < kV6MaxBlocks; ++pos) {
    for (std::size_t bit = 0; bit < pos; ++bit) {
      state->prefix_masks[pos * kBlockBytes + bit / 8] |=
          static_cast<std::uint8_t>(0x80u >> (bit % 8));
    }
  }

  // Padding block = AES_k(last 16 key bytes); hash salt = AES_k(padding block), never output.
  std::uint8_t block[2 * kBlockBytes];
  std::memcpy(block, key.data() + kBlockBytes, kBlockBytes);
  state->encrypt(block, 1);
  std::memcpy(block, state->out.data(), kBlockBytes);
  std::memcpy(state->pad_block.data(), block, kBlockBytes);
  state->pad_hi = load_be64(block);
  state->pad_lo = load_be64(block + 8);
  state->pad_v4 = static_cast<std::uint32_t>(state->pad_hi >> 32);
  state->init_v4_node_low();
  for (std::size_t node = 1; node <= kV4TableNodes; ++node) {
    state->v4_node_deltas[node * kBlockBytes + 3] =
        static_cast<std::uint8_t>(state->v4_node_low[node] ^ block[3]);
  }
  for (std::size_t i = 0; i < kBatchBlocks; ++i) {
    std::memcpy(&state->v4_in[i * kBlockBytes], block, kBlockBytes);
  }
  state->encrypt(block, 1);
  state->salt = load_be64(state->out.data());
  OPENSSL_cleanse(block, sizeof(block));
  OPENSSL_cleanse(state->out.data(), state->out.size());

  state->lazy_limit = options.v4_lazy_fills_before_full_table;
  const std::size_t v4_sets = std::min<std::size_t>(
      options.v4_cache_bytes / (sizeof(V4Set) + kV4Ways * sizeof(V4Table) + 1), kMaxSets);
  if (!state->v4_sets.allocate(v4_sets) || !state->v4_tables.allocate(v4_sets * kV4Ways) ||
      !state->v4_cursors.allocate(v4_sets)) {
    set_error(error, "cannot allocate the IPv4 Crypto-PAn cache");
    return std::nullopt;
  }
  // IPv6 budget: half for exact addresses, 3/8 for /64 prefixes, 1/8 for /48 prefixes.
  const std::size_t v6 = options.v6_cache_bytes;
  if (!state->v6_exact.init(v6 / 2) || !state->v6_p64.init(v6 / 8 * 3) ||
      !state->v6_p48.init(v6 / 8)) {
    set_error(error, "cannot allocate the IPv6 Crypto-PAn cache");
    return std::nullopt;
  }
  return CryptoPan(std::move(state));
}

CryptoPan::CryptoPan(std::unique_ptr<State> state) : state_(std::move(state)) {}
CryptoPan::CryptoPan(CryptoPan&& other) noexcept = default;
CryptoPan& CryptoPan::operator=(CryptoPan&& other) noexcept = default;
CryptoPan::~CryptoPan() = default;

std::uint32_t CryptoPan::anonymize_v4(std::uint32_t address_host_order) {
  return state_->anonymize_v4(address_host_order);
}

std::array<std::uint8_t, 16> CryptoPan::anonymize_v6(const std::array<std::uint8_t, 16>& address) {
  return state_->anonymize_v6(address);
}

void CryptoPan::anonymize_v4_batch(const std::uint32_t* in, std::uint32_t* out, std::size_t n) {
  state_->anonymize_v4_batch(in, out, n);
}

void CryptoPan::anonymize_v6_batch(const std::array<std::uint8_t, 16>* in,
                                   std::array<std::uint8_t, 16>* out, std::size_t n) {
  state_->anonymize_v6_batch(in, out, n);
}

// Splits each chunk by family, runs the two family batches, and puts the results back in place.
void CryptoPan::anonymize_batch(const core::Address* in, core::Address* out, std::size_t n) {
  std::uint32_t v4[kMixedChunk];
  std::array<std::uint8_t, 16> v6[kMixedChunk];
  std::uint16_t v4_at[kMixedChunk];
  std::uint16_t v6_at[kMixedChunk];
  for (std::size_t start = 0; start < n; start += kMixedChunk) {
    const std::size_t m = std::min(kMixedChunk, n - start);
    std::size_t n4 = 0;
    std::size_t n6 = 0;
    for (std::size_t i = 0; i < m; ++i) {
      const core::Address& a = in[start + i];
      if (a.is_v4()) {
        v4_at[n4] = static_cast<std::uint16_t>(i);
        v4[n4++] = a.v4();
      } else {
        v6_at[n6] = static_cast<std::uint16_t>(i);
        v6[n6++] = a.bytes();
      }
    }
    state_->anonymize_v4_batch(v4, v4, n4);
    state_->anonymize_v6_batch(v6, v6, n6);
    for (std::size_t k = 0; k < n4; ++k) out[start + v4_at[k]] = core::Address::from_v4(v4[k]);
    for (std::size_t k = 0; k < n6; ++k) out[start + v6_at[k]] = core::Address::from_bytes(v6[k]);
  }
}

CryptoPanStats CryptoPan::stats() const {
  return state_->stats;
}

void CryptoPan::clear_cache() {
  state_->clear_cache();
}

std::size_t CryptoPan::cache_capacity_bytes() const {
  return state_->cache_bytes();
}

std::optional<std::array<std::uint8_t, kCryptoPanKeyBytes>> parse_key_hex(std::string_view hex,
                                                                          std::string* error) {
  constexpr std::string_view kSpace = " \t\r\n\v\f";
  const std::size_t begin = hex.find_first_not_of(kSpace);
  if (begin == std::string_view::npos) {
    set_error(error, "Crypto-PAn key is empty (expected 64 hex characters)");
    return std::nullopt;
  }
  hex = hex.substr(begin, hex.find_last_not_of(kSpace) - begin + 1);
  if (hex.size() != 2 * kCryptoPanKeyBytes) {
    set_error(error, "Crypto-PAn key must be 64 hex characters, got " + std::to_string(hex.size()));
    return std::nullopt;
  }
  auto nibble = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  std::array<std::uint8_t, kCryptoPanKeyBytes> key{};
  for (std::size_t i = 0; i < hex.size(); ++i) {
    const int value = nibble(hex[i]);
    if (value < 0) {
      set_error(error, "Crypto-PAn key has a non-hex character at position " + std::to_string(i));
      return std::nullopt;
    }
    key[i / 2] = static_cast<std::uint8_t>((key[i / 2] << 4) | value);
  }
  return key;
}

}  // namespace iotcensus::privacy

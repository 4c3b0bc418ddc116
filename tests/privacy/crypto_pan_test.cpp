// Tests for Crypto-PAn: the original distribution's sample trace, an independent bit-by-bit
// reference, prefix preservation, key sensitivity and cache-on/off equivalence for IPv4 and IPv6.
#include "privacy/crypto_pan.h"

#include "core/address.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <openssl/evp.h>

#include <algorithm>
#include <array>
#include <bit>
#include <cstdint>
#include <cstdlib>
#include <fstream>
#include <random>
#include <set>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

namespace iotcensus::privacy {
namespace {

using Address6 = std::array<std::uint8_t, 16>;
using Key = std::array<std::uint8_t, kCryptoPanKeyBytes>;

// The 32-byte key of the original Crypto-PAn sample (see shared/data/PROVENANCE.md).
constexpr Key kSampleKey = {21,  34, 23,  141, 51, 164, 207, 128, 19,  10,  91,
                            22,  73, 144, 125, 16, 216, 152, 143, 131, 121, 121,
                            101, 39, 98,  87,  76, 45,  42,  132, 34,  2};

// Root of shared/data: $IOTCENSUS_SHARED_DATA, else the compile definition IOTCENSUS_SHARED_DATA
// (a string literal), else ../shared/data relative to the working directory.
std::string shared_data_dir() {
  if (const char* env = std::getenv("IOTCENSUS_SHARED_DATA"); env != nullptr && *env != '\0')
    return env;
#ifdef IOTCENSUS_SHARED_DATA
  return IOTCENSUS_SHARED_DATA;
#else
  return "../shared/data";
#endif
}

std::string cryptopan_file(const std::string& name) {
  return shared_data_dir() + "/cryptopan/" + name;
}

std::uint32_t parse_v4(const std::string& text) {
  in_addr address{};
  EXPECT_EQ(inet_pton(AF_INET, text.c_str(), &address), 1) << "bad IPv4 address '" << text << "'";
  return ntohl(address.s_addr);
}

std::string format_v4(std::uint32_t address) {
  const in_addr raw{htonl(address)};
  char buffer[INET_ADDRSTRLEN] = {};
  inet_ntop(AF_INET, &raw, buffer, sizeof(buffer));
  return buffer;
}

Address6 parse_v6(const std::string& text) {
  Address6 address{};
  EXPECT_EQ(inet_pton(AF_INET6, text.c_str(), address.data()), 1)
      << "bad IPv6 address '" << text << "'";
  return address;
}

std::string format_v6(const Address6& address) {
  char buffer[INET6_ADDRSTRLEN] = {};
  inet_ntop(AF_INET6, address.data(), buffer, sizeof(buffer));
  return buffer;
}

// IPv4 address in the top 32 bits of an IPv6 address, the remaining bits from `rest`.
Address6 v4_on_top(std::uint32_t v4, const Address6& rest) {
  Address6 address = rest;
  for (int i = 0; i < 4; ++i)
    address[static_cast<std::size_t>(i)] = static_cast<std::uint8_t>(v4 >> (24 - 8 * i));
  return address;
}

std::uint32_t top_v4(const Address6& address) {
  return static_cast<std::uint32_t>(address[0]) << 24 |
         static_cast<std::uint32_t>(address[1]) << 16 |
         static_cast<std::uint32_t>(address[2]) << 8 | address[3];
}

unsigned common_prefix_v6(const Address6& a, const Address6& b) {
  for (std::size_t i = 0; i < 16; ++i) {
    const auto diff = static_cast<std::uint8_t>(a[i] ^ b[i]);
    if (diff != 0)
      return static_cast<unsigned>(8 * i) + static_cast<unsigned>(std::countl_zero(diff));
  }
  return 128;
}

unsigned common_prefix_v4(std::uint32_t a, std::uint32_t b) {
  return static_cast<unsigned>(std::countl_zero(a ^ b));
}

bool get_bit(const Address6& bytes, unsigned i) {
  return ((bytes[i / 8] >> (7 - i % 8)) & 1u) != 0;
}

void set_bit(Address6& bytes, unsigned i, bool value) {
  const auto mask = static_cast<std::uint8_t>(0x80u >> (i % 8));
  bytes[i / 8] = static_cast<std::uint8_t>(value ? (bytes[i / 8] | mask) : (bytes[i / 8] & ~mask));
}

// Crypto-PAn written as plainly as the paper states it, to check the batched and cached code
// against: for each bit i, one AES call on (first i bits of the address, then the padding
// block's bits from i on), and the first output bit is XORed onto bit i.
class ReferencePan {
 public:
  explicit ReferencePan(const Key& key) : ctx_(EVP_CIPHER_CTX_new()) {
    EXPECT_NE(ctx_, nullptr);
    EXPECT_EQ(EVP_EncryptInit_ex(ctx_, EVP_aes_128_ecb(), nullptr, key.data(), nullptr), 1);
    EXPECT_EQ(EVP_CIPHER_CTX_set_padding(ctx_, 0), 1);
    Address6 seed{};
    for (std::size_t i = 0; i < 16; ++i) seed[i] = key[16 + i];
    pad_ = encrypt(seed);
  }
  ReferencePan(const ReferencePan&) = delete;
  ReferencePan& operator=(const ReferencePan&) = delete;
  ~ReferencePan() { EVP_CIPHER_CTX_free(ctx_); }

  Address6 anonymize_bits(const Address6& address, unsigned bits) {
    Address6 result = address;
    for (unsigned i = 0; i < bits; ++i) {
      Address6 block{};
      for (unsigned j = 0; j < 128; ++j)
        set_bit(block, j, j < i ? get_bit(address, j) : get_bit(pad_, j));
      if (get_bit(encrypt(block), 0)) set_bit(result, i, !get_bit(result, i));
    }
    return result;
  }

  std::uint32_t anonymize_v4(std::uint32_t address) {
    return top_v4(anonymize_bits(v4_on_top(address, Address6{}), 32));
  }
  Address6 anonymize_v6(const Address6& address) { return anonymize_bits(address, 128); }

 private:
  Address6 encrypt(const Address6& in) {
    Address6 out{};
    int out_len = 0;
    EXPECT_EQ(EVP_EncryptUpdate(ctx_, out.data(), &out_len, in.data(), 16), 1);
    EXPECT_EQ(out_len, 16);
    return out;
  }

  EVP_CIPHER_CTX* ctx_;
  Address6 pad_{};
};

CryptoPan make_pan(const Key& key, const CryptoPanOptions& options = CryptoPanOptions{}) {
  std::string error;
  auto pan = CryptoPan::create(key, options, &error);
  EXPECT_TRUE(pan.has_value()) << error;
  if (!pan) std::abort();
  return std::move(*pan);
}

CryptoPanOptions options_with(std::size_t v4_bytes, std::size_t v6_bytes,
                              std::uint32_t lazy_fills) {
  CryptoPanOptions options;
  options.v4_cache_bytes = v4_bytes;
  options.v6_cache_bytes = v6_bytes;
  options.v4_lazy_fills_before_full_table = lazy_fills;
  return options;
}

CryptoPanOptions aes_ni_128(CryptoPanOptions options) {
  options.aes = CryptoPanAes::kAesNi128;
  return options;
}

CryptoPanOptions evp_only(CryptoPanOptions options) {
  options.aes = CryptoPanAes::kOpenSslEvp;
  return options;
}

// Cache configurations (and AES engines: AES-NI where the CPU has it, else OpenSSL EVP; EVP
// only) that must all give the same answers.
std::vector<std::pair<std::string, CryptoPanOptions>> all_configs() {
  return {
      {"default", CryptoPanOptions{}},
      {"no cache", options_with(0, 0, 0)},
      {"eager /24 tables", options_with(1 << 20, 1 << 20, 0)},
      {"lazy 1", options_with(1 << 20, 1 << 20, 1)},
      {"lazy 8", options_with(1 << 20, 1 << 20, 8)},
      {"tiny caches (evictions)", options_with(4096, 4096, 2)},
      {"default, OpenSSL EVP only", evp_only(CryptoPanOptions{})},
      {"no cache, OpenSSL EVP only", evp_only(options_with(0, 0, 0))},
      {"eager /24 tables, OpenSSL EVP only", evp_only(options_with(1 << 20, 1 << 20, 0))},
      {"default, 128-bit AES-NI", aes_ni_128(CryptoPanOptions{})},
      {"no cache, 128-bit AES-NI", aes_ni_128(options_with(0, 0, 0))},
  };
}

struct SamplePair {
  std::string raw;
  std::string anonymized;
};

std::vector<SamplePair> read_csv_pairs() {
  const std::string path = cryptopan_file("cryptopan_ipv4_sample_trace.csv");
  std::ifstream in(path);
  EXPECT_TRUE(in.is_open()) << "cannot open " << path
                            << " (set IOTCENSUS_SHARED_DATA to shared/data)";
  std::vector<SamplePair> pairs;
  std::string line;
  std::getline(in, line);
  EXPECT_EQ(line, "raw,anonymized");
  while (std::getline(in, line)) {
    if (line.empty()) continue;
    const auto comma = line.find(',');
    EXPECT_NE(comma, std::string::npos) << line;
    pairs.push_back({line.substr(0, comma), line.substr(comma + 1)});
  }
  return pairs;
}

// Third tab-separated field of each line of a sample_trace_*.dat file.
std::vector<std::string> read_dat_addresses(const std::string& name) {
  const std::string path = cryptopan_file(name);
  std::ifstream in(path);
  EXPECT_TRUE(in.is_open()) << "cannot open " << path
                            << " (set IOTCENSUS_SHARED_DATA to shared/data)";
  std::vector<std::string> addresses;
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream fields(line);
    std::string time, size, address;
    std::getline(fields, time, '\t');
    std::getline(fields, size, '\t');
    std::getline(fields, address, '\t');
    while (!address.empty() && (address.back() == '\r' || address.back() == ' '))
      address.pop_back();
    if (!address.empty()) addresses.push_back(address);
  }
  return addresses;
}

Address6 random_v6(std::mt19937_64& rng) {
  Address6 address{};
  const std::uint64_t hi = rng();
  const std::uint64_t lo = rng();
  for (int i = 0; i < 8; ++i) {
    address[static_cast<std::size_t>(i)] = static_cast<std::uint8_t>(hi >> (56 - 8 * i));
    address[static_cast<std::size_t>(8 + i)] = static_cast<std::uint8_t>(lo >> (56 - 8 * i));
  }
  return address;
}

// Addresses that share /24s (IPv4) and /64s and /48s (IPv6), each seen several times.
std::vector<std::uint32_t> clustered_v4(std::mt19937_64& rng, std::size_t count) {
  std::vector<std::uint32_t> prefixes(40);
  for (auto& p : prefixes) p = static_cast<std::uint32_t>(rng()) & 0xFFFFFF00u;
  std::vector<std::uint32_t> out;
  for (std::size_t i = 0; i < count; ++i) {
    const std::uint64_t r = rng();
    out.push_back(prefixes[r % prefixes.size()] | static_cast<std::uint32_t>((r >> 32) & 0x3Fu));
  }
  return out;
}

std::vector<Address6> clustered_v6(std::mt19937_64& rng, std::size_t count) {
  std::vector<Address6> p48(4), p64(16);
  for (auto& p : p48) p = random_v6(rng);
  for (auto& p : p64) {
    p = p48[rng() % p48.size()];
    p[6] = static_cast<std::uint8_t>(rng());
    p[7] = static_cast<std::uint8_t>(rng());
  }
  std::vector<Address6> iids(24);
  for (auto& iid : iids) iid = random_v6(rng);
  std::vector<Address6> out;
  for (std::size_t i = 0; i < count; ++i) {
    Address6 a = p64[rng() % p64.size()];
    const Address6& iid = iids[rng() % iids.size()];
    for (std::size_t b = 8; b < 16; ++b) a[b] = iid[b];
    out.push_back(a);
  }
  return out;
}

TEST(ParseKeyHex, ReadsSampleKeyFile) {
  const std::string path = cryptopan_file("sample_key.hex");
  std::ifstream in(path);
  ASSERT_TRUE(in.is_open()) << "cannot open " << path
                            << " (set IOTCENSUS_SHARED_DATA to shared/data)";
  const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  std::string error;
  const auto key = parse_key_hex(text, &error);
  ASSERT_TRUE(key.has_value()) << error;
  EXPECT_EQ(*key, kSampleKey);
}

TEST(ParseKeyHex, AcceptsCaseAndSurroundingWhitespace) {
  const std::string hex = "1522178D33A4CF80130A5B1649907D10d8988f837979652762574c2d2a842202";
  std::string error;
  const auto key = parse_key_hex(" \t\n" + hex + "\r\n ", &error);
  ASSERT_TRUE(key.has_value()) << error;
  EXPECT_EQ(*key, kSampleKey);
  EXPECT_TRUE(parse_key_hex(hex, nullptr).has_value());
}

TEST(ParseKeyHex, RejectsMalformedKeys) {
  const std::string good = "1522178d33a4cf80130a5b1649907d10d8988f837979652762574c2d2a842202";
  const std::vector<std::string> bad = {
      "",
      "   \n",
      good.substr(0, 62),
      good.substr(0, 63),
      good + "0",
      good + "00",
      "g" + good.substr(1),
      good.substr(0, 32) + " " + good.substr(32),
      "0x" + good.substr(2),
  };
  for (const auto& text : bad) {
    std::string error;
    EXPECT_FALSE(parse_key_hex(text, &error).has_value()) << "'" << text << "'";
    EXPECT_FALSE(error.empty()) << "'" << text << "'";
    EXPECT_FALSE(parse_key_hex(text, nullptr).has_value());
  }
}

TEST(CryptoPanCreate, RejectsWrongKeySize) {
  for (std::size_t size : {0, 1, 16, 31, 33, 64}) {
    const std::vector<std::uint8_t> key(size, 7);
    std::string error;
    EXPECT_FALSE(CryptoPan::create(key, &error).has_value()) << size;
    EXPECT_NE(error.find("32"), std::string::npos) << error;
    EXPECT_FALSE(CryptoPan::create(key, nullptr).has_value());
  }
  std::string error;
  EXPECT_TRUE(CryptoPan::create(kSampleKey, &error).has_value()) << error;
}

TEST(CryptoPanSample, EveryCsvPairInEveryCacheConfig) {
  const auto pairs = read_csv_pairs();
  ASSERT_EQ(pairs.size(), 100u);
  for (const auto& [name, options] : all_configs()) {
    CryptoPan pan = make_pan(kSampleKey, options);
    for (int pass = 0; pass < 2; ++pass) {  // the second pass is served from the cache
      for (const auto& pair : pairs) {
        EXPECT_EQ(format_v4(pan.anonymize_v4(parse_v4(pair.raw))), pair.anonymized)
            << name << ", pass " << pass << ": " << pair.raw;
      }
    }
  }
}

TEST(CryptoPanSample, RawAndSanitizedTraceFilesLineByLine) {
  const auto raw = read_dat_addresses("sample_trace_raw.dat");
  const auto sanitized = read_dat_addresses("sample_trace_sanitized.dat");
  ASSERT_EQ(raw.size(), 100u);
  ASSERT_EQ(sanitized.size(), raw.size());
  CryptoPan pan = make_pan(kSampleKey);
  ReferencePan reference(kSampleKey);
  for (std::size_t i = 0; i < raw.size(); ++i) {
    EXPECT_EQ(format_v4(pan.anonymize_v4(parse_v4(raw[i]))), sanitized[i]) << "line " << i + 1;
    EXPECT_EQ(format_v4(reference.anonymize_v4(parse_v4(raw[i]))), sanitized[i])
        << "reference, line " << i + 1;
  }
}

// The 128-bit algorithm uses the same padding bits as the IPv4 one, so an IPv4 address placed in
// the top 32 bits of an IPv6 address must come out with the sample's anonymized IPv4 on top.
TEST(CryptoPanSample, Ipv6TopBitsReproduceIpv4Sample) {
  const auto pairs = read_csv_pairs();
  ASSERT_EQ(pairs.size(), 100u);
  std::mt19937_64 rng(11);
  for (const auto& [name, options] : all_configs()) {
    CryptoPan pan = make_pan(kSampleKey, options);
    for (const auto& pair : pairs) {
      const std::uint32_t raw = parse_v4(pair.raw);
      for (const Address6& rest : {Address6{}, random_v6(rng)}) {
        const Address6 input = v4_on_top(raw, rest);
        EXPECT_EQ(format_v4(top_v4(pan.anonymize_v6(input))), pair.anonymized)
            << name << ": " << format_v6(input);
      }
    }
  }
}

TEST(CryptoPanReference, Ipv4MatchesBitByBitReference) {
  std::mt19937_64 rng(1);
  std::vector<std::uint32_t> addresses = clustered_v4(rng, 300);
  for (int i = 0; i < 200; ++i) addresses.push_back(static_cast<std::uint32_t>(rng()));
  for (std::uint32_t edge :
       {0x00000000u, 0xFFFFFFFFu, 0x80000000u, 0x7FFFFFFFu, 0x0A000001u, 0xC0A80101u}) {
    addresses.push_back(edge);
  }
  const Key key = [&] {
    Key k{};
    for (auto& b : k) b = static_cast<std::uint8_t>(rng());
    return k;
  }();
  ReferencePan reference(key);
  std::vector<std::uint32_t> expected;
  for (std::uint32_t a : addresses) expected.push_back(reference.anonymize_v4(a));
  for (const auto& [name, options] : all_configs()) {
    CryptoPan pan = make_pan(key, options);
    for (std::size_t i = 0; i < addresses.size(); ++i) {
      EXPECT_EQ(pan.anonymize_v4(addresses[i]), expected[i])
          << name << ": " << format_v4(addresses[i]);
    }
  }
}

TEST(CryptoPanReference, Ipv6MatchesBitByBitReference) {
  std::mt19937_64 rng(2);
  std::vector<Address6> addresses = clustered_v6(rng, 150);
  for (int i = 0; i < 60; ++i) addresses.push_back(random_v6(rng));
  addresses.push_back(Address6{});
  Address6 ones{};
  ones.fill(0xFF);
  addresses.push_back(ones);
  addresses.push_back(parse_v6("2001:db8::1"));
  addresses.push_back(parse_v6("::ffff:192.0.2.1"));
  addresses.push_back(parse_v6("fe80::1"));
  const Key key = [&] {
    Key k{};
    for (auto& b : k) b = static_cast<std::uint8_t>(rng());
    return k;
  }();
  ReferencePan reference(key);
  std::vector<Address6> expected;
  for (const Address6& a : addresses) expected.push_back(reference.anonymize_v6(a));
  for (const auto& [name, options] : all_configs()) {
    CryptoPan pan = make_pan(key, options);
    for (std::size_t i = 0; i < addresses.size(); ++i) {
      EXPECT_EQ(format_v6(pan.anonymize_v6(addresses[i])), format_v6(expected[i]))
          << name << ": " << format_v6(addresses[i]);
    }
  }
}

TEST(CryptoPanProperties, Deterministic) {
  std::mt19937_64 rng(3);
  CryptoPan a = make_pan(kSampleKey);
  CryptoPan b = make_pan(kSampleKey, options_with(0, 0, 0));
  for (int i = 0; i < 2000; ++i) {
    const auto v4 = static_cast<std::uint32_t>(rng());
    const std::uint32_t first = a.anonymize_v4(v4);
    EXPECT_EQ(a.anonymize_v4(v4), first);
    EXPECT_EQ(b.anonymize_v4(v4), first);
    const Address6 v6 = random_v6(rng);
    const Address6 first6 = a.anonymize_v6(v6);
    EXPECT_EQ(a.anonymize_v6(v6), first6);
    EXPECT_EQ(b.anonymize_v6(v6), first6);
  }
}

TEST(CryptoPanProperties, DifferentKeyGivesDifferentOutput) {
  std::mt19937_64 rng(4);
  for (std::size_t changed_byte : {0u, 15u, 16u, 31u}) {  // AES key part and pad part
    Key other = kSampleKey;
    other[changed_byte] ^= 0x01;
    CryptoPan a = make_pan(kSampleKey);
    CryptoPan b = make_pan(other);
    int same_v4 = 0;
    int same_v6 = 0;
    int low_half_differing_bits = 0;
    constexpr int kCount = 1000;
    for (int i = 0; i < kCount; ++i) {
      const auto v4 = static_cast<std::uint32_t>(rng());
      const std::uint32_t out_a = a.anonymize_v4(v4);
      const std::uint32_t out_b = b.anonymize_v4(v4);
      same_v4 += out_a == out_b ? 1 : 0;
      // The top bits come from few trie nodes shared by many addresses (so they agree in bulk
      // by chance); the low 16 bits are decided per address and should differ half the time.
      low_half_differing_bits += std::popcount((out_a ^ out_b) & 0xFFFFu);
      const Address6 v6 = random_v6(rng);
      same_v6 += a.anonymize_v6(v6) == b.anonymize_v6(v6) ? 1 : 0;
    }
    EXPECT_LE(same_v4, 2) << "byte " << changed_byte;
    EXPECT_EQ(same_v6, 0) << "byte " << changed_byte;
    const double mean_low_differing = static_cast<double>(low_half_differing_bits) / kCount;
    EXPECT_GT(mean_low_differing, 7.0) << "byte " << changed_byte;  // 8 expected
    EXPECT_LT(mean_low_differing, 9.0) << "byte " << changed_byte;
  }
}

TEST(CryptoPanProperties, Ipv4PrefixPreserving) {
  std::mt19937_64 rng(5);
  CryptoPan pan = make_pan(kSampleKey);
  std::vector<int> seen(33, 0);
  for (int i = 0; i < 20000; ++i) {
    const auto a = static_cast<std::uint32_t>(rng());
    const unsigned shared = static_cast<unsigned>(rng() % 33);  // wanted common prefix length
    std::uint32_t b = a;
    if (shared < 32) {
      const std::uint32_t low =
          shared == 31 ? 0u : static_cast<std::uint32_t>(rng()) & (0xFFFFFFFFu >> (shared + 1));
      const std::uint32_t keep = shared == 0 ? 0u : 0xFFFFFFFFu << (32 - shared);
      b = (a & keep) | ((~a) & (0x80000000u >> shared)) | low;
    }
    ASSERT_EQ(common_prefix_v4(a, b), shared);
    EXPECT_EQ(common_prefix_v4(pan.anonymize_v4(a), pan.anonymize_v4(b)), shared)
        << format_v4(a) << " " << format_v4(b);
    ++seen[shared];
  }
  for (unsigned k = 0; k <= 32; ++k) EXPECT_GT(seen[k], 0) << k;
}

TEST(CryptoPanProperties, Ipv6PrefixPreserving) {
  std::mt19937_64 rng(6);
  CryptoPan pan = make_pan(kSampleKey);
  for (int i = 0; i < 5000; ++i) {
    const Address6 a = random_v6(rng);
    const unsigned shared = static_cast<unsigned>(rng() % 129);
    Address6 b = random_v6(rng);
    for (unsigned bit = 0; bit < shared; ++bit) set_bit(b, bit, get_bit(a, bit));
    if (shared < 128) set_bit(b, shared, !get_bit(a, shared));
    ASSERT_EQ(common_prefix_v6(a, b), shared);
    EXPECT_EQ(common_prefix_v6(pan.anonymize_v6(a), pan.anonymize_v6(b)), shared)
        << format_v6(a) << " " << format_v6(b);
  }
}

TEST(CryptoPanProperties, Slash24MapsOntoOneSlash24Bijectively) {
  for (const auto& [name, options] : all_configs()) {
    CryptoPan pan = make_pan(kSampleKey, options);
    const std::uint32_t base = parse_v4("198.51.100.0");
    const std::uint32_t anonymized_prefix = pan.anonymize_v4(base) & 0xFFFFFF00u;
    std::set<std::uint32_t> outputs;
    for (std::uint32_t last = 0; last < 256; ++last) {
      const std::uint32_t out = pan.anonymize_v4(base | last);
      EXPECT_EQ(out & 0xFFFFFF00u, anonymized_prefix) << name;
      outputs.insert(out);
    }
    EXPECT_EQ(outputs.size(), 256u) << name;
  }
}

TEST(CryptoPanCache, CacheOnAndOffGiveIdenticalResults) {
  std::mt19937_64 rng(7);
  std::vector<std::uint32_t> v4 = clustered_v4(rng, 5000);
  for (int i = 0; i < 500; ++i) v4.push_back(static_cast<std::uint32_t>(rng()));
  const std::vector<Address6> v6 = clustered_v6(rng, 3000);
  CryptoPan uncached = make_pan(kSampleKey, options_with(0, 0, 0));
  std::vector<std::uint32_t> want4;
  for (std::uint32_t a : v4) want4.push_back(uncached.anonymize_v4(a));
  std::vector<Address6> want6;
  for (const Address6& a : v6) want6.push_back(uncached.anonymize_v6(a));
  for (const auto& [name, options] : all_configs()) {
    CryptoPan pan = make_pan(kSampleKey, options);
    for (int pass = 0; pass < 2; ++pass) {
      for (std::size_t i = 0; i < v4.size(); ++i)
        ASSERT_EQ(pan.anonymize_v4(v4[i]), want4[i]) << name << " " << i;
      for (std::size_t i = 0; i < v6.size(); ++i)
        ASSERT_EQ(pan.anonymize_v6(v6[i]), want6[i]) << name << " " << i;
      pan.clear_cache();
    }
  }
}

// The batch functions must answer exactly as the single-address ones, in every cache
// configuration, cold and warm, for any batch size (chunk boundaries), in place, and with
// addresses of one /24 or /64 several times within one chunk.
TEST(CryptoPanBatch, BatchEqualsSingleAddressPath) {
  std::mt19937_64 rng(11);
  std::vector<std::uint32_t> v4 = clustered_v4(rng, 100'000);
  for (int i = 0; i < 100'000; ++i) v4.push_back(static_cast<std::uint32_t>(rng()));
  for (int i = 0; i < 50'000; ++i) {  // many sources per /24 from 2,000 /24s
    v4.push_back((static_cast<std::uint32_t>(rng() % 2000) * 7919u << 8) |
                 static_cast<std::uint32_t>(rng() & 0xFFu));
  }
  std::shuffle(v4.begin(), v4.end(), rng);
  std::vector<Address6> v6 = clustered_v6(rng, 10'000);
  for (int i = 0; i < 10'000; ++i) v6.push_back(random_v6(rng));
  std::shuffle(v6.begin(), v6.end(), rng);

  CryptoPan single = make_pan(kSampleKey);
  std::vector<std::uint32_t> want4;
  for (std::uint32_t a : v4) want4.push_back(single.anonymize_v4(a));
  std::vector<Address6> want6;
  for (const Address6& a : v6) want6.push_back(single.anonymize_v6(a));
  std::vector<core::Address> mixed;
  std::vector<core::Address> want_mixed;
  for (std::size_t i = 0; i < v6.size(); ++i) {
    mixed.push_back(core::Address::from_v4(v4[i]));
    want_mixed.push_back(core::Address::from_v4(want4[i]));
    for (std::size_t k = 0; k < i % 3; ++k) {
      mixed.push_back(core::Address::from_bytes(v6[i - k]));
      want_mixed.push_back(core::Address::from_bytes(want6[i - k]));
    }
  }

  for (const auto& [name, options] : all_configs()) {
    for (const std::size_t piece :
         {std::size_t{1}, std::size_t{7}, std::size_t{33}, std::size_t{1000}, v4.size()}) {
      CryptoPan pan = make_pan(kSampleKey, options);
      for (int pass = 0; pass < 2; ++pass) {  // cold, then warm
        std::vector<std::uint32_t> got4(v4.size());
        for (std::size_t at = 0; at < v4.size(); at += piece) {
          pan.anonymize_v4_batch(v4.data() + at, got4.data() + at, std::min(piece, v4.size() - at));
        }
        ASSERT_EQ(got4, want4) << name << ", pieces of " << piece << ", pass " << pass;
        std::vector<Address6> got6 = v6;  // in place
        for (std::size_t at = 0; at < got6.size(); at += piece) {
          pan.anonymize_v6_batch(got6.data() + at, got6.data() + at,
                                 std::min(piece, got6.size() - at));
        }
        ASSERT_EQ(got6, want6) << name << ", pieces of " << piece << ", pass " << pass;
      }
      std::vector<core::Address> got(mixed.size());
      pan.anonymize_batch(mixed.data(), got.data(), mixed.size());
      ASSERT_EQ(got, want_mixed) << name << ", pieces of " << piece;
      pan.clear_cache();
      std::vector<core::Address> in_place = mixed;
      pan.anonymize_batch(in_place.data(), in_place.data(), in_place.size());
      ASSERT_EQ(in_place, want_mixed) << name << ", pieces of " << piece;
    }
  }
}

TEST(CryptoPanBatch, SampleCsvThroughTheBatchPath) {
  const std::vector<SamplePair> pairs = read_csv_pairs();
  ASSERT_FALSE(pairs.empty());
  std::vector<std::uint32_t> raw;
  for (const auto& pair : pairs) raw.push_back(parse_v4(pair.raw));
  for (const auto& [name, options] : all_configs()) {
    CryptoPan pan = make_pan(kSampleKey, options);
    std::vector<std::uint32_t> got(raw.size());
    pan.anonymize_v4_batch(raw.data(), got.data(), raw.size());
    for (std::size_t i = 0; i < pairs.size(); ++i)
      ASSERT_EQ(format_v4(got[i]), pairs[i].anonymized) << name << " " << pairs[i].raw;
  }
}

TEST(CryptoPanCache, StatsCountHitsMissesEvictionsAndAesCalls) {
  std::mt19937_64 rng(8);
  {
    CryptoPan pan = make_pan(kSampleKey, options_with(0, 0, 0));
    EXPECT_EQ(pan.cache_capacity_bytes(), 0u);
    const CryptoPanStats before = pan.stats();
    pan.anonymize_v4(0x01020304u);
    pan.anonymize_v4(0x01020304u);
    pan.anonymize_v6(random_v6(rng));
    const CryptoPanStats after = pan.stats();
    EXPECT_EQ(after.aes_calls - before.aes_calls, 32u + 32u + 128u);
    EXPECT_EQ(after.cache_hits, 0u);
    EXPECT_EQ(after.cache_misses - before.cache_misses, 3u);
    EXPECT_EQ(after.evictions, 0u);
  }
  {
    CryptoPan pan = make_pan(kSampleKey);
    EXPECT_GT(pan.cache_capacity_bytes(), 0u);
    EXPECT_LE(pan.cache_capacity_bytes(), kDefaultV4CacheBytes + kDefaultV6CacheBytes);
    const CryptoPanStats start = pan.stats();
    pan.anonymize_v4(0x0A000001u);  // new /24: 24 prefix + 8 last-byte blocks
    CryptoPanStats s = pan.stats();
    EXPECT_EQ(s.aes_calls - start.aes_calls, 32u);
    EXPECT_EQ(s.cache_misses - start.cache_misses, 1u);
    pan.anonymize_v4(0x0A000001u);  // exact repeat: a hit, no AES
    EXPECT_EQ(pan.stats().aes_calls, s.aes_calls);
    EXPECT_EQ(pan.stats().cache_hits - start.cache_hits, 1u);
    // Filling the /24: after the lazy fills the whole table is built, then every last byte hits.
    for (std::uint32_t last = 0; last < 256; ++last) pan.anonymize_v4(0x0A000000u | last);
    s = pan.stats();
    for (std::uint32_t last = 0; last < 256; ++last) pan.anonymize_v4(0x0A000000u | last);
    EXPECT_EQ(pan.stats().aes_calls, s.aes_calls);
    EXPECT_EQ(pan.stats().cache_hits - s.cache_hits, 256u);
    EXPECT_LT(s.aes_calls - start.aes_calls, 32u + 8u * 2 + 255u + 1u);

    const Address6 a = parse_v6("2001:db8:1:2::10");
    const Address6 b = parse_v6("2001:db8:1:2::20");  // same /64
    const Address6 c = parse_v6("2001:db8:1:3::30");  // same /48
    s = pan.stats();
    pan.anonymize_v6(a);
    EXPECT_EQ(pan.stats().aes_calls - s.aes_calls, 128u);
    s = pan.stats();
    pan.anonymize_v6(b);
    EXPECT_EQ(pan.stats().aes_calls - s.aes_calls, 64u);
    s = pan.stats();
    pan.anonymize_v6(c);
    EXPECT_EQ(pan.stats().aes_calls - s.aes_calls, 80u);
    s = pan.stats();
    pan.anonymize_v6(a);
    EXPECT_EQ(pan.stats().aes_calls, s.aes_calls);
    EXPECT_EQ(pan.stats().cache_hits - s.cache_hits, 1u);
  }
  {
    // A budget this small holds one IPv4 set: many /24s must evict.
    CryptoPan pan = make_pan(kSampleKey, options_with(4096, 4096, 2));
    for (int i = 0; i < 200; ++i) {
      pan.anonymize_v4(static_cast<std::uint32_t>(rng()));
      pan.anonymize_v6(random_v6(rng));
    }
    EXPECT_GT(pan.stats().evictions, 0u);
  }
}

// The AES instruction paths (VAES by default where the CPU has it, 128-bit AES-NI) and OpenSSL's
// EVP must agree bit for bit, for
// many keys (key schedule), every bit position (addresses differing from the pad at each bit),
// with and without caches, one by one and in batches.
TEST(CryptoPanAesEngine, HardwareAesMatchesEvp) {
  std::mt19937_64 rng(21);
  for (int round = 0; round < 20; ++round) {
    Key key{};
    for (auto& b : key) b = static_cast<std::uint8_t>(rng());
    std::vector<std::uint32_t> v4 = clustered_v4(rng, 200);
    for (int i = 0; i < 200; ++i) v4.push_back(static_cast<std::uint32_t>(rng()));
    for (unsigned bit = 0; bit < 32; ++bit) v4.push_back(1u << bit);
    std::vector<Address6> v6 = clustered_v6(rng, 100);
    for (int i = 0; i < 50; ++i) v6.push_back(random_v6(rng));
    for (unsigned bit = 0; bit < 128; ++bit) {
      Address6 a{};
      a[bit / 8] = static_cast<std::uint8_t>(0x80u >> (bit % 8));
      v6.push_back(a);
    }
    for (const CryptoPanOptions& base :
         {CryptoPanOptions{}, options_with(0, 0, 0), options_with(1 << 20, 1 << 20, 0),
          aes_ni_128(CryptoPanOptions{}), aes_ni_128(options_with(1 << 20, 1 << 20, 0))}) {
      CryptoPan hardware = make_pan(key, base);
      CryptoPan evp = make_pan(key, evp_only(base));
      for (std::uint32_t a : v4) ASSERT_EQ(hardware.anonymize_v4(a), evp.anonymize_v4(a)) << a;
      for (const Address6& a : v6) {
        ASSERT_EQ(format_v6(hardware.anonymize_v6(a)), format_v6(evp.anonymize_v6(a)))
            << format_v6(a);
      }
      // One address at a time both do the same AES work. (Batches may not: the EVP batch
      // computes the addresses of a chunk together, so two of one new /64 both miss its prefix.)
      EXPECT_EQ(hardware.stats().aes_calls, evp.stats().aes_calls);
      std::vector<std::uint32_t> got4(v4.size());
      std::vector<std::uint32_t> want4(v4.size());
      hardware.clear_cache();
      evp.clear_cache();
      hardware.anonymize_v4_batch(v4.data(), got4.data(), v4.size());
      evp.anonymize_v4_batch(v4.data(), want4.data(), v4.size());
      ASSERT_EQ(got4, want4);
      std::vector<Address6> got6(v6.size());
      std::vector<Address6> want6(v6.size());
      hardware.anonymize_v6_batch(v6.data(), got6.data(), v6.size());
      evp.anonymize_v6_batch(v6.data(), want6.data(), v6.size());
      ASSERT_EQ(got6, want6);
    }
  }
}

TEST(CryptoPanCache, MoveKeepsStateUsable) {
  CryptoPan a = make_pan(kSampleKey);
  const std::uint32_t expected = a.anonymize_v4(parse_v4("24.5.0.80"));
  EXPECT_EQ(format_v4(expected), "100.9.15.210");
  CryptoPan b(std::move(a));
  EXPECT_EQ(b.anonymize_v4(parse_v4("24.5.0.80")), expected);
  CryptoPan c = make_pan(Key{});
  c = std::move(b);
  EXPECT_EQ(c.anonymize_v4(parse_v4("24.5.0.80")), expected);
  EXPECT_GE(c.stats().cache_hits, 2u);
}

}  // namespace
}  // namespace iotcensus::privacy

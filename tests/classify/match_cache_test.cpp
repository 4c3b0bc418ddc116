// Tests the match cache against Classifier::match: on random packets drawn from small sets of
// field values (so that shapes repeat and rules hold), for the built-in rules and for a rule set
// that uses every packet condition, the cached mask must always equal the direct one.
#include "classify/match_cache.h"

#include <gtest/gtest.h>

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <random>
#include <string>
#include <vector>

#include "classify/rule_loader.h"
#include "cli/rule_options.h"
#include "decode/ntp.h"

namespace iotcensus::classify {
namespace {

// Decodes `obs.ntp` from the payload, as the decoder does (core/observation.h).
void redecode(core::Observation& obs) {
  obs.ntp = core::NtpHeader{};
  if (obs.payload != nullptr) decode::decode_ntp({obs.payload, obs.ntp_length}, obs.ntp);
}

// Writes the first 48 bytes of the NTP message `n` (its mode's header) into `p`.
void encode_header(const core::NtpHeader& n, std::array<uint8_t, 128>& p) {
  auto put = [&](size_t at, uint64_t v, size_t bytes) {
    for (size_t i = 0; i < bytes; ++i) p[at + i] = static_cast<uint8_t>(v >> (8 * (bytes - 1 - i)));
  };
  p[0] = static_cast<uint8_t>(n.leap << 6 | n.version << 3 | n.mode);
  if (n.mode == 6) {
    p[1] = static_cast<uint8_t>(n.control_opcode | (n.control_response ? 0x80 : 0));
    return;
  }
  if (n.mode == 7) {
    p[2] = n.private_implementation;
    p[3] = n.private_request;
    return;
  }
  p[1] = n.stratum;
  p[2] = static_cast<uint8_t>(n.poll);
  p[3] = static_cast<uint8_t>(n.precision);
  put(4, n.root_delay, 4);
  put(8, n.root_dispersion, 4);
  put(12, n.reference_id, 4);
  put(16, n.reference_ts, 8);
  put(24, n.origin_ts, 8);
  put(32, n.receive_ts, 8);
  put(40, n.transmit_ts, 8);
}

// Fills `obs` and `payload` from small alphabets so that most rules match some packets: a header
// of fields drawn so, or a flood's request (one of three, as they are sent), sometimes with a
// byte changed; `obs.ntp` is then decoded from the payload.
void random_packet(std::mt19937_64& rng, core::Observation& obs,
                   std::array<uint8_t, 128>& payload) {
  auto pick = [&](auto... values) {
    const std::array<uint64_t, sizeof...(values)> set{static_cast<uint64_t>(values)...};
    return set[rng() % set.size()];
  };
  obs = core::Observation{};
  obs.time_ns = static_cast<int64_t>(rng() >> 8);
  obs.ip_version = static_cast<uint8_t>(pick(4, 4, 6));
  const auto v4 = core::Address::from_v4(
      static_cast<uint32_t>(pick(0xc0000201, 0xc0000302, 0x80692700 | (rng() & 0xff), rng())));
  const auto v6 = *core::Address::parse(rng() % 2 ? "2001:db8::1" : "2001:db9::5");
  obs.src = obs.ip_version == 4 ? v4 : v6;
  obs.dst = obs.ip_version == 4
                ? core::Address::from_v4(static_cast<uint32_t>(pick(0x8069270b, 0x8069270c)))
                : v6;
  obs.src_port = static_cast<uint16_t>(pick(23457, 123, 40000 + rng() % 4));
  obs.dst_port = static_cast<uint16_t>(pick(123, 123, 124));
  obs.ntp_length = static_cast<uint16_t>(pick(48, 48, 48, 0, 1, 2, 7, 12, 13, 47, 60, 64, 68));
  obs.udp_length = static_cast<uint16_t>(pick(obs.ntp_length + 8, 56));
  obs.ip_length = static_cast<uint16_t>(pick(obs.udp_length + 20, 76));
  core::NtpHeader n;
  n.leap = static_cast<uint8_t>(pick(0, 0, 3, 1));
  n.version = static_cast<uint8_t>(pick(1, 4, 4, 3, 2));
  n.mode = static_cast<uint8_t>(pick(3, 3, 4, 6, 7, 1));
  n.stratum = static_cast<uint8_t>(pick(0, 0, 1, 16));
  n.poll = static_cast<int8_t>(pick(0, 6, static_cast<uint8_t>(-2)));
  n.precision = static_cast<int8_t>(pick(0, 32, static_cast<uint8_t>(-20)));
  n.root_delay = static_cast<uint32_t>(pick(0, 0, 1));
  n.root_dispersion = static_cast<uint32_t>(pick(0, 0, 7));
  n.reference_id = static_cast<uint32_t>(pick(0, 0, 0x494e4954));
  n.reference_ts = pick(0, 0, rng());
  n.origin_ts = pick(0, 0, rng());
  n.receive_ts = pick(0, 0, rng());
  n.transmit_ts = pick(0, 0, rng(), rng() & ~uint64_t{0x7ff});
  n.private_request = static_cast<uint8_t>(pick(42, 20, 1));
  n.control_opcode = static_cast<uint8_t>(pick(2, 1));
  const bool flat = rng() % 2 == 0;  // all zero after the header, as floods are
  for (size_t i = 0; i < payload.size(); ++i) {
    payload[i] = flat ? 0 : static_cast<uint8_t>(pick(0, 0, 0, rng()));
  }
  if (rng() % 3 == 0) {
    // Netgear's request, ntpdig's (a transmit time with the low 11 bits zero), chrony's.
    std::fill(payload.begin(), payload.begin() + 48, 0);
    payload[0] = static_cast<uint8_t>(pick(0x0b, 0xe3, 0x23));
    if (payload[0] != 0x0b) {
      const uint64_t t = rng() & (payload[0] == 0xe3 ? ~uint64_t{0x7ff} : ~uint64_t{0});
      for (size_t i = 0; i < 8; ++i) payload[40 + i] = static_cast<uint8_t>(t >> (56 - 8 * i));
    }
    if (payload[0] == 0x23) payload[3] = 32;
  } else {
    encode_header(n, payload);
  }
  if (rng() % 8 == 0) payload[rng() % 48] ^= static_cast<uint8_t>(1 << rng() % 8);
  if (obs.ntp_length == 64 && rng() % 2 == 0) {
    payload[50] = 0;  // an extension field of 16 bytes
    payload[51] = 16;
  }
  obs.payload = rng() % 16 == 0 ? nullptr : payload.data();
  redecode(obs);
}

// The classifier of one rule file given as text.
core::Result<Classifier> classifier_of(const std::string& toml) {
  auto rules = parse_rules(toml, "test.toml");
  if (!rules) return rules.error();
  return Classifier::create(std::move(*rules));
}

void expect_same(const Classifier& c, uint64_t* hits_out = nullptr,
                 uint64_t* raw_hits_out = nullptr) {
  MatchCache cache(c);
  std::mt19937_64 rng(7);
  core::Observation obs;
  std::array<uint8_t, 128> payload{};
  uint64_t any = 0;
  uint64_t evidence = 0;
  std::vector<uint64_t> seen;  // masks in order of first sight
  for (int i = 0; i < 200000; ++i) {
    // Half the packets are one of 10,000 fixed ones, so that shapes recur whatever is read.
    std::mt19937_64 repeat(rng() % 10000);
    random_packet(rng() % 2 ? rng : repeat, obs, payload);
    const uint64_t direct = c.match(obs);
    const MatchCache::Match m = cache.match(obs);
    ASSERT_EQ(m.mask, direct) << "packet " << i;
    ASSERT_EQ(m.evidence, c.evidence(c.leading_class(direct), obs)) << "packet " << i;
    // Masks are numbered 0, 1, 2, ... in order of first sight, from the cache or not.
    const auto at = std::find(seen.begin(), seen.end(), direct);
    ASSERT_EQ(m.id, static_cast<uint32_t>(at - seen.begin())) << "packet " << i;
    if (at == seen.end()) seen.push_back(direct);
    ASSERT_EQ(cache.mask_of(m.id), direct);
    any |= direct;
    evidence += m.evidence;
  }
  EXPECT_EQ(cache.masks(), seen);
  EXPECT_GT(seen.size(), 2u);
  EXPECT_GT(evidence, 0u);  // the evidence of some packets holds, and not of others
  EXPECT_LT(evidence, 200000u);
  EXPECT_NE(any, 0u);
  EXPECT_GT(cache.hits(), 0u);
  if (hits_out) *hits_out = cache.hits();
  if (raw_hits_out) *raw_hits_out = cache.raw_hits();
}

TEST(MatchCache, SameMasksAsTheClassifierWithTheBuiltInRules) {
  auto c = cli::RuleOptions{}.load();
  ASSERT_TRUE(c) << c.error().message;
  expect_same(*c);
}

// A rule set that uses every packet condition.
constexpr const char* kEveryCondition = R"(
[[class]]
name = "every-key"
  [class.match]
  mode = [3]
  version = [1, 4]
  leap = 0
  stratum = [0, 16]
  poll = [-2, 6]
  precision = [-20, 32]
  root_delay = [0]
  root_dispersion = [0]
  reference_id = [0x494e4954, 0]
  ntp_length = [48]
  udp_length = [56]
  ip_total_length = [76]
  src_port = [23457]
  dst_port = [123]
  src_address = ["192.0.2.0/24", "2001:db8::/32"]
  dst_address = "128.105.39.11"
  zero_timestamps = ["reference", "origin"]
  nonzero_timestamps = ["transmit"]
  payload_hex = "0b0000000000000000000000"
  payload_mask = "ff0f00ff00ff00ff00ff00ff"
  extension_fields = false
  mac = false
[[class]]
name = "short-payload"
  [class.match]
  payload_hex = "e300"
  payload_mask = "ff0f"
  dst_address = ["128.105.39.0/24", "2001:db9::/32"]
  [class.evidence]
  src_port = [23457, 40001]
  stratum = [0]
[[class]]
name = "long-payload"
  [class.match]
  payload_hex = "0b0000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000"
[[class]]
name = "ntpdig-like"
  [class.match]
  leap = [3]
  zero_timestamps = ["receive"]
  payload_hex  = "000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000"
  payload_mask = "0000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000007ff"
[[class]]
name = "mode-7"
  [class.match]
  private_request = [42, 20]
[[flag]]
name = "mode-6"
  [flag.match]
  control_opcode = [2]
  extension_fields = true
[[flag]]
name = "mac"
  [flag.match]
  mac = true
  src_address = "192.0.2.1"
)";

TEST(MatchCache, SameMasksWithEveryCondition) {
  auto rules = parse_rules(kEveryCondition, "test.toml");
  ASSERT_TRUE(rules) << rules.error().message;
  auto c = Classifier::create(std::move(*rules));
  ASSERT_TRUE(c) << c.error().message;
  expect_same(*c);
}

// The same without the address conditions: packets with a bare header then have raw keys.
TEST(MatchCache, SameMasksWithEveryConditionButAddresses) {
  std::string toml = kEveryCondition;
  for (size_t at; (at = toml.find("_address")) != std::string::npos;) {
    const size_t line = toml.rfind('\n', at) + 1;
    toml.erase(line, toml.find('\n', at) + 1 - line);
  }
  ASSERT_EQ(toml.find("address"), std::string::npos);
  auto c = classifier_of(toml);
  ASSERT_TRUE(c) << c.error().message;
  uint64_t raw_hits = 0;
  expect_same(*c, nullptr, &raw_hits);
  EXPECT_GT(raw_hits, 50u);  // a few: random lengths and ports make raw keys rarely repeat
}

// A request repeated byte for byte is found by its raw key, whatever its source and time; the
// same bytes with another length or port are not the same request.
TEST(MatchCache, RepeatedRequestsAreFoundByTheirRawKey) {
  auto c = cli::RuleOptions{}.load();
  ASSERT_TRUE(c) << c.error().message;
  MatchCache cache(*c);
  std::mt19937_64 rng(19);
  core::Observation obs;
  std::array<uint8_t, 128> payload{};
  random_packet(rng, obs, payload);
  payload.fill(0);
  payload[0] = 0x0b;
  obs.ntp_length = 48;
  obs.udp_length = 56;
  obs.ip_length = 76;
  obs.ip_version = 4;
  obs.dst_port = 123;
  obs.payload = payload.data();
  redecode(obs);
  const uint64_t netgear = c->match(obs);
  ASSERT_NE(netgear, 0u);
  for (int i = 0; i < 1000; ++i) {
    obs.src = core::Address::from_v4(static_cast<uint32_t>(rng()));
    obs.time_ns = static_cast<int64_t>(rng() >> 8);
    obs.src_port = static_cast<uint16_t>(i % 2 ? 23457 : 40000 + i);
    obs.udp_length = static_cast<uint16_t>(i % 5 == 4 ? 57 : 56);  // 57: not the Netgear rule's
    const uint64_t direct = c->match(obs);
    ASSERT_EQ(direct == netgear, i % 5 != 4) << "packet " << i;
    const MatchCache::Match m = cache.match(obs);
    ASSERT_EQ(m.mask, direct) << "packet " << i;
    ASSERT_EQ(m.evidence, c->evidence(c->leading_class(direct), obs)) << "packet " << i;
  }
  // Four raw keys: two lengths, the Netgear port or another (the others reduced to one).
  EXPECT_GE(cache.raw_hits(), 1000u - 4u);
}

// The evidence verdict comes from the cache too: the fields evidence reads are part of the shape
// even when no match condition reads them (the source port of the Netgear rule).
TEST(MatchCache, EvidenceFieldsArePartOfTheShape) {
  auto c = classifier_of(R"(
[[class]]
name = "client"
  [class.match]
  mode = [3]
  [class.evidence]
  src_port = [23457]
)");
  ASSERT_TRUE(c) << c.error().message;
  MatchCache cache(*c);
  std::mt19937_64 rng(13);
  core::Observation obs;
  std::array<uint8_t, 128> payload{};
  random_packet(rng, obs, payload);
  obs.ntp_length = 48;
  obs.payload = payload.data();
  payload[0] = 0x23;  // version 4, mode 3
  redecode(obs);
  uint64_t evidence = 0;
  for (int i = 0; i < 1000; ++i) {
    obs.src_port = static_cast<uint16_t>(i % 2 == 0 ? 23457 : 40000 + i % 7);
    const MatchCache::Match m = cache.match(obs);
    ASSERT_EQ(m.evidence, i % 2 == 0) << "packet " << i;
    evidence += m.evidence;
  }
  EXPECT_EQ(evidence, 500u);
  EXPECT_GT(cache.hits(), 990u);
}

// A rule on the source port must not make every ephemeral port a shape of its own: unlisted
// ports share one, so a flood from random ports still hits the cache.
TEST(MatchCache, UnlistedPortsShareAShape) {
  auto c = classifier_of(R"(
[[class]]
name = "from-123"
  [class.match]
  src_port = [123]
  [class.evidence]
  src_port = [123]
  dst_port = [123, 124]
[[flag]]
name = "to-low-port"
  [flag.match]
  dst_port = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 123]
)");
  ASSERT_TRUE(c) << c.error().message;
  MatchCache cache(*c);
  std::mt19937_64 rng(11);
  core::Observation obs;
  std::array<uint8_t, 128> payload{};
  random_packet(rng, obs, payload);
  uint64_t matched = 0;
  for (int i = 0; i < 50000; ++i) {
    obs.src_port = static_cast<uint16_t>(i % 10 == 0 ? 123 : 32768 + rng() % 28000);
    obs.dst_port = static_cast<uint16_t>(i % 3 == 0 ? 123 : i % 3 == 1 ? 124 : 40000 + i % 5);
    const uint64_t direct = c->match(obs);
    const MatchCache::Match m = cache.match(obs);
    ASSERT_EQ(m.mask, direct) << "packet " << i;
    ASSERT_EQ(m.evidence, c->evidence(c->leading_class(direct), obs)) << "packet " << i;
    matched += direct != 0;
  }
  EXPECT_GT(matched, 0u);
  // Source: 123 or another; destination: 123, 124 or 5 ports, which the 19 listed ports (more
  // than are compared one by one) keep whole: 14 shapes, so nearly every lookup hits (a shape
  // per source port would miss every time, and the cache would be bypassed).
  EXPECT_EQ(cache.bypassed(), 0u);
  EXPECT_GT(cache.hits(), 45000u);
}

// Packets that differ in one byte of the payload, any byte a pattern tests, get their own
// masks: a 48-byte pattern (the Netgear request) and one on the last two bytes (ntpdig's).
TEST(MatchCache, EveryByteOfAPatternCounts) {
  auto c = classifier_of(R"(
[[class]]
name = "zeros"
  [class.match]
  payload_hex = "0b0000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000"
[[flag]]
name = "low-bits"
  [flag.match]
  payload_hex  = "000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000"
  payload_mask = "0000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000007ff"
)");
  ASSERT_TRUE(c) << c.error().message;
  MatchCache cache(*c);
  std::mt19937_64 rng(17);
  core::Observation obs;
  std::array<uint8_t, 128> payload{};
  random_packet(rng, obs, payload);
  obs.ntp_length = 48;
  obs.payload = payload.data();
  for (int round = 0; round < 3; ++round) {
    for (size_t i = 0; i < 48; ++i) {
      payload.fill(0);
      payload[0] = 0x0b;
      redecode(obs);
      ASSERT_EQ(cache.match(obs).mask, 3u) << "flat";
      payload[i] ^= 0x01;
      redecode(obs);
      const uint64_t direct = c->match(obs);
      ASSERT_EQ(direct, i >= 46 ? 0u : 2u) << "byte " << i;  // low-bits: bytes 46, 47
      ASSERT_EQ(cache.match(obs).mask, direct) << "byte " << i;
    }
  }
  EXPECT_GT(cache.hits(), 48u);
}

TEST(MatchCache, CachesLongPayloadPatterns) {
  // A shape holds which patterns the payload meets, not the payload: any length is cached.
  std::string hex(2 * 80, '0');
  hex[1] = 'b';
  auto c = classifier_of("[[class]]\nname = \"long\"\n  [class.match]\n  payload_hex = \"" + hex +
                         "\"\n");
  ASSERT_TRUE(c) << c.error().message;
  MatchCache cache(*c);
  std::mt19937_64 rng(3);
  core::Observation obs;
  std::array<uint8_t, 128> payload{};
  uint64_t any = 0;
  for (int i = 0; i < 1000; ++i) {
    random_packet(rng, obs, payload);
    obs.ntp_length = static_cast<uint16_t>(rng() % 2 ? 100 : 79);
    redecode(obs);
    const uint64_t direct = c->match(obs);
    ASSERT_EQ(cache.match(obs).mask, direct);
    any |= direct;
  }
  EXPECT_NE(any, 0u);
  EXPECT_GT(cache.hits(), 0u);
}

TEST(MatchCache, FallsBackToDirectMatchingForManyPrefixes) {
  std::string prefixes;
  for (int i = 0; i < 65; ++i) prefixes += (i ? ", " : "") + fmt::format("\"10.0.{}.0/24\"", i);
  auto c = classifier_of("[[class]]\nname = \"many\"\n  [class.match]\n  src_address = [" +
                         prefixes + "]\n");
  ASSERT_TRUE(c) << c.error().message;
  MatchCache cache(*c);
  std::mt19937_64 rng(3);
  core::Observation obs;
  std::array<uint8_t, 128> payload{};
  for (int i = 0; i < 1000; ++i) {
    random_packet(rng, obs, payload);
    obs.src = core::Address::from_v4(0x0a000000 | static_cast<uint32_t>(rng() % 70) << 8);
    ASSERT_EQ(cache.match(obs).mask, c->match(obs));
  }
  EXPECT_EQ(cache.hits(), 0u);
}

TEST(MatchCache, MatchesDirectlyWhileShapesDoNotRepeat) {
  auto c = cli::RuleOptions{}.load();
  ASSERT_TRUE(c) << c.error().message;
  MatchCache cache(*c);
  std::mt19937_64 rng(5);
  core::Observation obs;
  std::array<uint8_t, 128> payload{};
  // The built-in chrony rule reads the root delay and dispersion: random ones never repeat.
  for (uint32_t i = 0; i < 2 * MatchCache::kWindow; ++i) {
    random_packet(rng, obs, payload);
    obs.ntp_length = 48;
    obs.payload = payload.data();
    payload[0] = 0x23;  // version 4, mode 3
    for (size_t k = 4; k < 12; ++k) payload[k] = static_cast<uint8_t>(rng());
    redecode(obs);
    ASSERT_EQ(cache.match(obs).mask, c->match(obs));
  }
  EXPECT_GT(cache.bypassed(), 0u);
  // Then a flood of one packet: matched directly until the bypass ends, then from the cache.
  random_packet(rng, obs, payload);
  const uint64_t direct = c->match(obs);
  for (uint32_t i = 0; i < MatchCache::kBypass + 2 * MatchCache::kWindow; ++i) {
    ASSERT_EQ(cache.match(obs).mask, direct);
  }
  EXPECT_GT(cache.hits(), MatchCache::kWindow);
}

}  // namespace
}  // namespace iotcensus::classify

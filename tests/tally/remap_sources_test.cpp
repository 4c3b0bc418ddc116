// Tests for remap_sources: the per-address and the batch mapping give the same rows, each
// distinct address is mapped once, and rows stay sorted (with Crypto-PAn as the mapping).
#include "tally/remap_sources.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <cstdint>
#include <random>
#include <set>
#include <tuple>
#include <vector>

#include "core/address.h"
#include "privacy/crypto_pan.h"
#include "tally/tally_set.h"

namespace iotcensus::tally {
namespace {

core::Address random_source(std::mt19937_64& rng) {
  if (rng() % 4 == 0) return core::Address{rng() | 0x2000000000000000ULL, rng()};
  return core::Address::from_v4(static_cast<uint32_t>(rng() % 500) << 8 |
                                static_cast<uint32_t>(rng() & 0xFF));
}

TallySet make_tallies() {
  std::mt19937_64 rng(3);
  TallySet t;
  std::set<core::Address> unique;
  while (unique.size() < 3000) unique.insert(random_source(rng));
  std::vector<core::Address> pool(unique.begin(), unique.end());
  std::shuffle(pool.begin(), pool.end(), rng);
  t.cadences.resize(1);
  for (const auto& a : pool) {
    SourceSummary s;
    s.source = a;
    s.class_id = static_cast<uint16_t>(rng() % 3);
    s.packets = rng() % 100;
    t.sources.push_back(s);
  }
  std::set<std::tuple<int64_t, uint16_t, core::Address>> seen;
  for (int i = 0; i < 20000; ++i) {
    BinSource b;
    b.bin_start = static_cast<int64_t>(rng() % 24) * 3600;
    b.class_id = static_cast<uint16_t>(rng() % 3);
    b.source = pool[rng() % pool.size()];
    if (!seen.insert({b.bin_start, b.class_id, b.source}).second) continue;
    b.packets = rng() % 50;
    t.bin_sources.push_back(b);
    if (i % 3 == 0) {
      BinFlag f;
      f.bin_start = b.bin_start;
      f.class_id = b.class_id;
      f.flags = 1 + rng() % 15;
      f.source = b.source;
      f.packets = b.packets;
      t.bin_flags.push_back(f);
    }
  }
  return t;
}

privacy::CryptoPan make_pan() {
  std::array<uint8_t, privacy::kCryptoPanKeyBytes> key{};
  for (size_t i = 0; i < key.size(); ++i) key[i] = static_cast<uint8_t>(i * 37 + 5);
  auto pan = privacy::CryptoPan::create(key, nullptr);
  EXPECT_TRUE(pan.has_value());
  return std::move(*pan);
}

TEST(RemapSources, BatchMappingGivesTheSameRowsAsPerAddressMapping) {
  TallySet single = make_tallies();
  TallySet batch = single;
  privacy::CryptoPan pan_single = make_pan();
  privacy::CryptoPan pan_batch = make_pan();
  size_t calls = 0;
  remap_sources(single, [&](const core::Address& a) {
    ++calls;
    return a.is_v4() ? core::Address::from_v4(pan_single.anonymize_v4(a.v4()))
                     : core::Address::from_bytes(pan_single.anonymize_v6(a.bytes()));
  });
  size_t batch_calls = 0;
  size_t mapped = 0;
  remap_sources_batch(batch, [&](const core::Address* in, core::Address* out, size_t n) {
    ++batch_calls;
    mapped += n;
    pan_batch.anonymize_batch(in, out, n);
  });
  EXPECT_EQ(batch_calls, 1u);
  EXPECT_EQ(mapped, calls);  // each distinct address once, in both
  ASSERT_EQ(single.sources.size(), batch.sources.size());
  for (size_t i = 0; i < single.sources.size(); ++i) {
    EXPECT_EQ(single.sources[i].source, batch.sources[i].source) << i;
    EXPECT_EQ(single.sources[i].class_id, batch.sources[i].class_id) << i;
    EXPECT_EQ(single.sources[i].packets, batch.sources[i].packets) << i;
  }
  ASSERT_EQ(single.bin_sources.size(), batch.bin_sources.size());
  for (size_t i = 0; i < single.bin_sources.size(); ++i) {
    const auto& a = single.bin_sources[i];
    const auto& b = batch.bin_sources[i];
    EXPECT_EQ(std::tie(a.bin_start, a.class_id, a.source, a.packets),
              std::tie(b.bin_start, b.class_id, b.source, b.packets))
        << i;
  }
  ASSERT_EQ(single.bin_flags.size(), batch.bin_flags.size());
  for (size_t i = 0; i < single.bin_flags.size(); ++i) {
    const auto& a = single.bin_flags[i];
    const auto& b = batch.bin_flags[i];
    EXPECT_EQ(std::tie(a.bin_start, a.class_id, a.source, a.flags, a.packets),
              std::tie(b.bin_start, b.class_id, b.source, b.flags, b.packets))
        << i;
  }
  EXPECT_TRUE(std::is_sorted(batch.bin_sources.begin(), batch.bin_sources.end(),
                             [](const auto& a, const auto& b) {
                               return std::tie(a.bin_start, a.class_id, a.source) <
                                      std::tie(b.bin_start, b.class_id, b.source);
                             }));
}

}  // namespace
}  // namespace iotcensus::tally

// Google Benchmark for Crypto-PAn: addresses/second on 1M distinct clustered IPv4 sources
// (~20k /24s) and IPv6 sources (~20k /64s), cold, warm and without cache; one by one and batched.
#include <benchmark/benchmark.h>

#include <algorithm>
#include <array>
#include <cstdint>
#include <cstdlib>
#include <optional>
#include <random>
#include <unordered_set>
#include <vector>

#include "core/address.h"
#include "privacy/crypto_pan.h"

namespace {

using iotcensus::privacy::CryptoPan;
using iotcensus::privacy::CryptoPanOptions;
using iotcensus::privacy::CryptoPanStats;

constexpr std::size_t kDistinctSources = 1'000'000;
constexpr std::size_t kClusters = 20'000;
constexpr std::uint64_t kSeed = 20240607;

std::array<std::uint8_t, 32> bench_key() {
  std::array<std::uint8_t, 32> key{};
  std::mt19937_64 rng(kSeed);
  for (auto& byte : key) byte = static_cast<std::uint8_t>(rng());
  return key;
}

CryptoPan make_pan(const CryptoPanOptions& options) {
  const auto key = bench_key();
  auto pan = CryptoPan::create(key, options, nullptr);
  if (!pan) std::abort();
  return std::move(*pan);
}

// 1M distinct IPv4 addresses from kClusters random /24s (about 50 per /24), in random order.
const std::vector<std::uint32_t>& clustered_v4() {
  static const std::vector<std::uint32_t> addresses = [] {
    std::mt19937_64 rng(kSeed + 1);
    std::vector<std::uint32_t> prefixes;
    std::unordered_set<std::uint32_t> seen_prefix;
    while (prefixes.size() < kClusters) {
      const auto prefix = static_cast<std::uint32_t>(rng() & 0xFFFFFFu);
      if (seen_prefix.insert(prefix).second) prefixes.push_back(prefix);
    }
    std::vector<std::uint32_t> out;
    std::unordered_set<std::uint32_t> seen;
    out.reserve(kDistinctSources);
    while (out.size() < kDistinctSources) {
      const std::uint64_t r = rng();
      const std::uint32_t address =
          (prefixes[r % kClusters] << 8) | static_cast<std::uint32_t>((r >> 32) & 0xFFu);
      if (seen.insert(address).second) out.push_back(address);
    }
    return out;
  }();
  return addresses;
}

// 1M distinct uniformly random IPv4 addresses: the worst case for the prefix cache.
const std::vector<std::uint32_t>& sparse_v4() {
  static const std::vector<std::uint32_t> addresses = [] {
    std::mt19937_64 rng(kSeed + 2);
    std::vector<std::uint32_t> out;
    std::unordered_set<std::uint32_t> seen;
    out.reserve(kDistinctSources);
    while (out.size() < kDistinctSources) {
      const auto address = static_cast<std::uint32_t>(rng());
      if (seen.insert(address).second) out.push_back(address);
    }
    return out;
  }();
  return addresses;
}

// 1M distinct IPv6 addresses: kClusters /64s (under 2,000 /48s), random interface identifiers.
const std::vector<std::array<std::uint8_t, 16>>& clustered_v6() {
  static const std::vector<std::array<std::uint8_t, 16>> addresses = [] {
    std::mt19937_64 rng(kSeed + 3);
    std::vector<std::uint64_t> p48(kClusters / 10);
    for (auto& p : p48) p = (0x2000ull << 48 | (rng() & 0x0FFFFFFFFFFFull)) & 0xFFFFFFFFFFFF0000ull;
    std::vector<std::uint64_t> p64(kClusters);
    for (auto& p : p64) p = p48[rng() % p48.size()] | (rng() & 0xFFFFu);
    std::vector<std::array<std::uint8_t, 16>> out(kDistinctSources);
    for (auto& a : out) {
      const std::uint64_t hi = p64[rng() % p64.size()];
      const std::uint64_t lo = rng();  // 64 random bits: collisions are negligible
      for (int i = 0; i < 8; ++i) {
        a[static_cast<std::size_t>(i)] = static_cast<std::uint8_t>(hi >> (56 - 8 * i));
        a[static_cast<std::size_t>(8 + i)] = static_cast<std::uint8_t>(lo >> (56 - 8 * i));
      }
    }
    return out;
  }();
  return addresses;
}

// The ingest bench's mix (bench/make_ntp_capture): 950,000 IPv4 sources from the clustered set
// and 50,000 IPv6 sources, as core::Address in random order.
const std::vector<iotcensus::core::Address>& mixed_sources() {
  static const std::vector<iotcensus::core::Address> addresses = [] {
    std::vector<iotcensus::core::Address> out;
    const auto& v4 = clustered_v4();
    const auto& v6 = clustered_v6();
    for (std::size_t i = 0; i < kDistinctSources; ++i) {
      out.push_back(i % 20 == 19 ? iotcensus::core::Address::from_bytes(v6[i])
                                 : iotcensus::core::Address::from_v4(v4[i]));
    }
    return out;
  }();
  return addresses;
}

// items_per_second is per CPU second of the single benchmark thread, i.e. per core (CPU time
// rather than wall time so that other load on the machine does not count against us).
void report(benchmark::State& state, const CryptoPanStats& before, const CryptoPanStats& after,
            std::size_t items) {
  state.SetItemsProcessed(static_cast<std::int64_t>(items));
  const double n = static_cast<double>(items);
  state.counters["aes_per_addr"] = static_cast<double>(after.aes_calls - before.aes_calls) / n;
  state.counters["hit_rate"] = static_cast<double>(after.cache_hits - before.cache_hits) / n;
  state.counters["evictions_per_addr"] =
      static_cast<double>(after.evictions - before.evictions) / n;
}

enum class Cold { kFreshObject, kClearedCache };

// Each iteration anonymizes every address once, starting from an empty cache: either a new
// object (the cache memory is untouched, so page faults are part of the cost) or the same object
// after clear_cache() (cache memory already mapped).
// One pass over all addresses, one by one (single) or in one call (batch).
template <typename Fn>
auto one_by_one(Fn anonymize) {
  return [anonymize](CryptoPan& pan, const auto& addresses, auto& /*out*/) {
    for (const auto& a : addresses) benchmark::DoNotOptimize(anonymize(pan, a));
  };
}

template <typename Address, typename Pass>
void run_cold(benchmark::State& state, const std::vector<Address>& addresses,
              const CryptoPanOptions& options, Cold cold, Pass pass) {
  std::vector<Address> out(addresses.size());
  CryptoPanStats total{};
  std::size_t items = 0;
  CryptoPan reused = make_pan(options);
  for (auto _ : state) {
    state.PauseTiming();
    std::optional<CryptoPan> fresh;
    if (cold == Cold::kFreshObject) {
      fresh.emplace(make_pan(options));
    } else {
      reused.clear_cache();
    }
    CryptoPan& pan = fresh ? *fresh : reused;
    const CryptoPanStats before = pan.stats();
    state.ResumeTiming();
    pass(pan, addresses, out);
    benchmark::ClobberMemory();
    state.PauseTiming();
    const CryptoPanStats after = pan.stats();
    total.aes_calls += after.aes_calls - before.aes_calls;
    total.cache_hits += after.cache_hits - before.cache_hits;
    total.evictions += after.evictions - before.evictions;
    items += addresses.size();
    fresh.reset();  // unmap outside the timed region
    state.ResumeTiming();
  }
  report(state, CryptoPanStats{}, total, items);
}

template <typename Address, typename Pass>
void run_warm(benchmark::State& state, const std::vector<Address>& addresses,
              const CryptoPanOptions& options, Pass pass) {
  std::vector<Address> out(addresses.size());
  CryptoPan pan = make_pan(options);
  pass(pan, addresses, out);  // prime the cache
  const CryptoPanStats before = pan.stats();
  std::size_t items = 0;
  for (auto _ : state) {
    pass(pan, addresses, out);
    benchmark::ClobberMemory();
    items += addresses.size();
  }
  report(state, before, pan.stats(), items);
}

const auto anonymize_v4 =
    one_by_one([](CryptoPan& pan, std::uint32_t a) { return pan.anonymize_v4(a); });
const auto anonymize_v6 = one_by_one(
    [](CryptoPan& pan, const std::array<std::uint8_t, 16>& a) { return pan.anonymize_v6(a); });
// The batch API on the whole capture's sources at once, as ingest calls it.
const auto batch_v4 = [](CryptoPan& pan, const std::vector<std::uint32_t>& addresses,
                         std::vector<std::uint32_t>& out) {
  pan.anonymize_v4_batch(addresses.data(), out.data(), addresses.size());
  benchmark::DoNotOptimize(out.data());
};
const auto batch_v6 = [](CryptoPan& pan, const std::vector<std::array<std::uint8_t, 16>>& addresses,
                         std::vector<std::array<std::uint8_t, 16>>& out) {
  pan.anonymize_v6_batch(addresses.data(), out.data(), addresses.size());
  benchmark::DoNotOptimize(out.data());
};

CryptoPanOptions v4_options(std::int64_t lazy_fills) {
  CryptoPanOptions options;
  options.v4_lazy_fills_before_full_table = static_cast<std::uint32_t>(lazy_fills);
  return options;
}

CryptoPanOptions no_cache() {
  CryptoPanOptions options;
  options.v4_cache_bytes = 0;
  options.v6_cache_bytes = 0;
  return options;
}

// Argument: lazy fills per /24 before its full last-byte table is computed.
void BM_V4ClusteredCold(benchmark::State& state) {
  run_cold(state, clustered_v4(), v4_options(state.range(0)), Cold::kFreshObject, anonymize_v4);
}
void BM_V4ClusteredColdCleared(benchmark::State& state) {
  run_cold(state, clustered_v4(), v4_options(state.range(0)), Cold::kClearedCache, anonymize_v4);
}
void BM_V4ClusteredWarm(benchmark::State& state) {
  run_warm(state, clustered_v4(), v4_options(state.range(0)), anonymize_v4);
}
void BM_V4SparseCold(benchmark::State& state) {
  run_cold(state, sparse_v4(), v4_options(state.range(0)), Cold::kFreshObject, anonymize_v4);
}
void BM_V4ClusteredNoCache(benchmark::State& state) {
  run_cold(state, clustered_v4(), no_cache(), Cold::kClearedCache, anonymize_v4);
}
void BM_V6ClusteredCold(benchmark::State& state) {
  run_cold(state, clustered_v6(), CryptoPanOptions{}, Cold::kFreshObject, anonymize_v6);
}
void BM_V6ClusteredColdCleared(benchmark::State& state) {
  run_cold(state, clustered_v6(), CryptoPanOptions{}, Cold::kClearedCache, anonymize_v6);
}
void BM_V6ClusteredWarm(benchmark::State& state) {
  CryptoPanOptions options;
  options.v6_cache_bytes = std::size_t{256} << 20;  // exact-address cache with room for 1M entries
  run_warm(state, clustered_v6(), options, anonymize_v6);
}
void BM_V6ClusteredNoCache(benchmark::State& state) {
  run_cold(state, clustered_v6(), no_cache(), Cold::kClearedCache, anonymize_v6);
}

// Batch API (anonymize_*_batch over all 1M sources in one call).
void BM_V4ClusteredColdBatch(benchmark::State& state) {
  run_cold(state, clustered_v4(), v4_options(state.range(0)), Cold::kFreshObject, batch_v4);
}
void BM_V4ClusteredColdClearedBatch(benchmark::State& state) {
  run_cold(state, clustered_v4(), v4_options(state.range(0)), Cold::kClearedCache, batch_v4);
}
void BM_V4ClusteredWarmBatch(benchmark::State& state) {
  run_warm(state, clustered_v4(), v4_options(state.range(0)), batch_v4);
}
void BM_V4SparseColdBatch(benchmark::State& state) {
  run_cold(state, sparse_v4(), v4_options(state.range(0)), Cold::kFreshObject, batch_v4);
}
void BM_V4ClusteredNoCacheBatch(benchmark::State& state) {
  run_cold(state, clustered_v4(), no_cache(), Cold::kClearedCache, batch_v4);
}
void BM_V6ClusteredColdBatch(benchmark::State& state) {
  run_cold(state, clustered_v6(), CryptoPanOptions{}, Cold::kFreshObject, batch_v6);
}
const auto batch_mixed = [](CryptoPan& pan, const std::vector<iotcensus::core::Address>& addresses,
                            std::vector<iotcensus::core::Address>& out) {
  pan.anonymize_batch(addresses.data(), out.data(), addresses.size());
  benchmark::DoNotOptimize(out.data());
};
void BM_MixedColdBatch(benchmark::State& state) {
  run_cold(state, mixed_sources(), CryptoPanOptions{}, Cold::kFreshObject, batch_mixed);
}
// The same through OpenSSL's EVP only (CryptoPanOptions::aes = kOpenSslEvp), as on a CPU
// without AES-NI: what the AES-NI path gains.
CryptoPanOptions evp_only() {
  CryptoPanOptions options;
  options.aes = iotcensus::privacy::CryptoPanAes::kOpenSslEvp;
  return options;
}
// AES-NI on 128-bit registers although the CPU may have VAES (CryptoPanAes::kAesNi128).
CryptoPanOptions aes_ni_128() {
  CryptoPanOptions options;
  options.aes = iotcensus::privacy::CryptoPanAes::kAesNi128;
  return options;
}
void BM_V4ClusteredColdBatchAesNi128(benchmark::State& state) {
  run_cold(state, clustered_v4(), aes_ni_128(), Cold::kFreshObject, batch_v4);
}
void BM_V6ClusteredColdBatchAesNi128(benchmark::State& state) {
  run_cold(state, clustered_v6(), aes_ni_128(), Cold::kFreshObject, batch_v6);
}
void BM_MixedColdBatchAesNi128(benchmark::State& state) {
  run_cold(state, mixed_sources(), aes_ni_128(), Cold::kFreshObject, batch_mixed);
}
void BM_V4ClusteredColdBatchEvp(benchmark::State& state) {
  run_cold(state, clustered_v4(), evp_only(), Cold::kFreshObject, batch_v4);
}
void BM_V6ClusteredColdBatchEvp(benchmark::State& state) {
  run_cold(state, clustered_v6(), evp_only(), Cold::kFreshObject, batch_v6);
}
void BM_MixedColdBatchEvp(benchmark::State& state) {
  run_cold(state, mixed_sources(), evp_only(), Cold::kFreshObject, batch_mixed);
}
void BM_V6ClusteredWarmBatch(benchmark::State& state) {
  CryptoPanOptions options;
  options.v6_cache_bytes = std::size_t{256} << 20;
  run_warm(state, clustered_v6(), options, batch_v6);
}

BENCHMARK(BM_V4ClusteredCold)->Arg(0)->Arg(2)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_V4ClusteredColdCleared)->Arg(0)->Arg(2)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_V4ClusteredWarm)->Arg(2)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_V4SparseCold)->Arg(0)->Arg(2)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_V4ClusteredNoCache)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_V6ClusteredCold)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_V6ClusteredColdCleared)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_V6ClusteredWarm)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_V6ClusteredNoCache)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_V4ClusteredColdBatch)->Arg(0)->Arg(2)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_V4ClusteredColdClearedBatch)->Arg(0)->Arg(2)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_V4ClusteredWarmBatch)->Arg(2)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_V4SparseColdBatch)->Arg(0)->Arg(2)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_V4ClusteredNoCacheBatch)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_V6ClusteredColdBatch)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_V6ClusteredWarmBatch)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_MixedColdBatch)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_V4ClusteredColdBatchAesNi128)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_V6ClusteredColdBatchAesNi128)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_MixedColdBatchAesNi128)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_V4ClusteredColdBatchEvp)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_V6ClusteredColdBatchEvp)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_MixedColdBatchEvp)->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();

// Google Benchmark for the survival core on 10 million simulated device lifetimes in whole days,
// right-censored at the end of observation and left-truncated at its start (delayed entry).
#include <benchmark/benchmark.h>

#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <random>
#include <unordered_set>
#include <vector>

#include "analyze/kaplan_meier.h"
#include "analyze/parametric.h"
#include "analyze/survival_data.h"

namespace {

using iotcensus::analyze::all_distributions;
using iotcensus::analyze::Distribution;
using iotcensus::analyze::fit_and_rank;
using iotcensus::analyze::fit_parametric;
using iotcensus::analyze::kaplan_meier;
using iotcensus::analyze::SurvivalData;

constexpr std::size_t kSubjects = 10'000'000;
constexpr std::uint64_t kSeed = 20030514;
constexpr double kBirthDays = 1500;   // births spread over calendar days [0, 1500)
constexpr double kWindowStart = 500;  // observation from calendar day 500 ...
constexpr double kWindowEnd = 4500;   // ... to day 4500
constexpr double kShortShare = 0.35;  // Weibull mixture: 35% scale 200 d, shape 0.8;
constexpr double kShortScale = 200;   // 65% scale 2500 d, shape 1.6
constexpr double kShortShape = 0.8;
constexpr double kLongScale = 2500;
constexpr double kLongShape = 1.6;

// Devices born on a whole day, living a whole number of days (at least one). Those born before
// the window opens are seen only if still alive then (entry = their age at the opening); all are
// censored when the window closes. About a third of the subjects are left-truncated.
const SurvivalData& lifetimes() {
  static const SurvivalData data = [] {
    std::mt19937_64 rng(kSeed);
    auto uniform = [&] { return (static_cast<double>(rng() >> 11) + 0.5) * 0x1.0p-53; };
    SurvivalData d;
    d.time.reserve(kSubjects);
    d.event.reserve(kSubjects);
    d.entry.reserve(kSubjects);
    while (d.size() < kSubjects) {
      const double birth = std::floor(kBirthDays * uniform());
      const bool short_lived = uniform() < kShortShare;
      const double scale = short_lived ? kShortScale : kLongScale;
      const double shape = short_lived ? kShortShape : kLongShape;
      const double life =
          std::max(1.0, std::ceil(scale * std::pow(-std::log(uniform()), 1 / shape)));
      const double entry = std::max(0.0, kWindowStart - birth);
      if (life <= entry) continue;  // died before the window opened: never seen
      const double end = kWindowEnd - birth;
      d.entry.push_back(entry);
      d.time.push_back(std::min(life, end));
      d.event.push_back(life <= end ? 1 : 0);
    }
    return d;
  }();
  return data;
}

// Distinct values the likelihood sees: (time, event) pairs, entry times, and the (time, entry,
// event) triples an exact merge of whole records would keep.
struct Shape {
  double pairs = 0, entries = 0, triples = 0, truncated = 0;
};
const Shape& shape() {
  static const Shape s = [] {
    const SurvivalData& d = lifetimes();
    std::unordered_set<uint64_t> pairs, triples;
    std::unordered_set<double> entries;
    Shape out;
    for (std::size_t i = 0; i < d.size(); ++i) {
      const auto t = static_cast<uint64_t>(d.time[i]), e = static_cast<uint64_t>(d.entry[i]);
      pairs.insert(t * 2 + d.event[i]);
      triples.insert((e * 100000 + t) * 2 + d.event[i]);
      entries.insert(d.entry[i]);
      if (d.entry[i] > 0) ++out.truncated;
    }
    out.pairs = static_cast<double>(pairs.size());
    out.entries = static_cast<double>(entries.size());
    out.triples = static_cast<double>(triples.size());
    return out;
  }();
  return s;
}

void BM_KaplanMeier(benchmark::State& state) {
  const SurvivalData& data = lifetimes();
  for (auto _ : state) {
    auto km = kaplan_meier(data);
    benchmark::DoNotOptimize(km.rows.data());
    state.counters["rows"] = static_cast<double>(km.rows.size());
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * data.size()));
}

void BM_FitAndRankAll(benchmark::State& state) {
  const SurvivalData& data = lifetimes();
  for (auto _ : state) {
    auto fits = fit_and_rank(data, all_distributions());
    if (fits.size() != all_distributions().size()) state.SkipWithError("a model failed to fit");
    benchmark::DoNotOptimize(fits.data());
  }
  state.counters["time_event_pairs"] = shape().pairs;
  state.counters["entry_times"] = shape().entries;
  state.counters["triples"] = shape().triples;
  state.counters["left_truncated"] = shape().truncated;
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * data.size()));
}

// One model at a time (argument: index into all_distributions()), to see where time goes.
void BM_FitOne(benchmark::State& state) {
  const SurvivalData& data = lifetimes();
  const Distribution d = all_distributions()[static_cast<std::size_t>(state.range(0))];
  state.SetLabel(iotcensus::analyze::distribution_name(d));
  for (auto _ : state) {
    auto fit = fit_parametric(data, d);
    if (!fit) state.SkipWithError(fit.error().message.c_str());
    benchmark::DoNotOptimize(&fit);
  }
}

BENCHMARK(BM_KaplanMeier)->Unit(benchmark::kSecond)->Iterations(1);
BENCHMARK(BM_FitAndRankAll)->Unit(benchmark::kSecond)->Iterations(1);
BENCHMARK(BM_FitOne)->DenseRange(0, 6)->Unit(benchmark::kSecond)->Iterations(1);

}  // namespace

BENCHMARK_MAIN();

// Times the single-thread ingest path on one capture, stage by stage: (a) read records,
// (b) read+decode, (c) read+decode+classify+tally (cli::tally_capture with finish()); best of N.
// Each run opens and maps the file and unmaps it at the end, inside the timed region, as
// `iotcensus ingest` does (--map-once maps it once for all runs, as sessions 1-6 measured).
// Memory is kept for reuse as in `iotcensus ingest`, so (c) also reports its first run, which
// is the cost for a single capture in a fresh process.
//
// Usage: ingest_bench FILE [--repeat N] [--bin-width S] [--only STAGE] [--map-once]. Prints a
// table and one JSON line; --only runs a single stage, for profilers.

#include <fmt/format.h>
#include <sys/resource.h>
#include <CLI/CLI.hpp>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <ctime>
#include <functional>
#include <limits>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "capture/capture_file.h"
#include "classify/classifier.h"
#include "classify/match_cache.h"
#include "cli/ingest_pipeline.h"
#include "cli/memory_reuse.h"
#include "cli/rule_options.h"
#include "decode/packet_decoder.h"
#include "tally/capture_tally.h"

namespace iotcensus::bench {

namespace {

struct Stage {
  std::string key;                                              // JSON key
  std::string label;                                            // table label
  double best_s = std::numeric_limits<double>::infinity();      // wall time
  double best_cpu_s = std::numeric_limits<double>::infinity();  // this thread's CPU time
  double first_s = 0;  // wall time of the first run, on memory the process had not used yet
};

double thread_cpu_s() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

// Best wall and CPU time of `repeat` runs of `work` (CPU time shows how much of the wall time
// was lost to other processes on a shared machine).
void best_of(int repeat, Stage& stage, const std::function<void()>& work) {
  for (int i = 0; i < repeat; ++i) {
    const double c0 = thread_cpu_s();
    const auto t0 = std::chrono::steady_clock::now();
    work();
    const auto t1 = std::chrono::steady_clock::now();
    const double c1 = thread_cpu_s();
    if (i == 0) stage.first_s = std::chrono::duration<double>(t1 - t0).count();
    stage.best_s = std::min(stage.best_s, std::chrono::duration<double>(t1 - t0).count());
    stage.best_cpu_s = std::min(stage.best_cpu_s, c1 - c0);
  }
}

long peak_rss_kib() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return u.ru_maxrss;
}

int run(const std::string& path, int repeat, int64_t bin_width_s, const std::string& only,
        bool map_once) {
  cli::keep_freed_memory();  // as `iotcensus ingest` does: later runs reuse the first's memory
  auto classifier = cli::RuleOptions{}.load();
  if (!classifier) {
    fmt::print(stderr, "ingest_bench: {}\n", classifier.error().message);
    return 2;
  }
  const classify::Classifier& c = classifier.value();
  size_t file_bytes = 0;
  std::optional<capture::CaptureFile> once;  // the one mapping of --map-once
  {
    auto file = capture::CaptureFile::open(path);  // unmapped at the end of this block
    if (!file) {
      fmt::print(stderr, "ingest_bench: {}\n", file.error().message);
      return 1;
    }
    file_bytes = file->size();
    if (map_once) once.emplace(std::move(file.value()));
  }
  // Runs `work` on the capture: mapped for this run (unmapped when `work` returns, so the
  // mapping and unmapping are timed with it), or the one mapping of --map-once.
  bool failed = false;
  std::string failure;
  auto on_file = [&](const std::function<void(const capture::CaptureFile&)>& work) {
    if (once) return work(*once);
    auto mapped = capture::CaptureFile::open(path);
    if (!mapped) {
      failed = true;
      failure = mapped.error().message;
      return;
    }
    work(mapped.value());
  };

  uint64_t records = 0, ntp = 0, sources = 0, entries = 0, sink = 0;
  uint64_t cache_hits = 0, cache_raw_hits = 0, cache_misses = 0, cache_bypassed = 0;  // in (b')

  Stage read{"read", "(a) read"};
  if (only.empty() || only == "read")
    best_of(repeat, read, [&] {
      on_file([&](const capture::CaptureFile& f) {
        uint64_t n = 0, bytes = 0;
        auto s = f.for_each([&](const capture::RawPacket& p) {
          ++n;
          bytes += p.captured_length;
        });
        if (!s) failed = true, failure = s.error().message;
        records = n;
        sink += bytes;
      });
    });

  Stage decode{"decode", "(b) read+decode"};
  if (only.empty() || only == "decode")
    best_of(repeat, decode, [&] {
      on_file([&](const capture::CaptureFile& f) {
        decode::PacketDecoder decoder;
        core::Observation obs;
        uint64_t ports = 0;
        auto s = f.for_each([&](const capture::RawPacket& p) {
          if (decoder.decode(p, obs)) ports += obs.src_port;
        });
        if (!s) failed = true, failure = s.error().message;
        records = decoder.counters().frames;
        ntp = decoder.counters().ntp;
        sink += ports;
      });
    });

  // Not one of the three asked-for stages, but it splits (c) into matching and tallying.
  // Matches through a MatchCache, as the tally does.
  Stage match{"decode_match", "(b') read+decode+match"};
  if (only.empty() || only == "decode_match")
    best_of(repeat, match, [&] {
      on_file([&](const capture::CaptureFile& f) {
        decode::PacketDecoder decoder;
        classify::MatchCache cache(c);
        core::Observation obs;
        uint64_t masks = 0;
        auto s = f.for_each([&](const capture::RawPacket& p) {
          if (decoder.decode(p, obs)) masks += cache.match(obs).mask;
        });
        if (!s) failed = true, failure = s.error().message;
        records = decoder.counters().frames;
        ntp = decoder.counters().ntp;
        sink += masks;
        cache_hits = cache.hits();
        cache_raw_hits = cache.raw_hits();
        cache_misses = cache.misses();
        cache_bypassed = cache.bypassed();
      });
    });

  Stage tally{"tally", "(c) read+decode+classify+tally"};
  if (only.empty() || only == "tally")
    best_of(repeat, tally, [&] {
      on_file([&](const capture::CaptureFile& f) {
        auto t = cli::tally_capture(f, c, bin_width_s);
        if (!t) {
          failed = true;
          failure = t.error().message;
          return;
        }
        records = t->summary.records;
        ntp = t->counters.ntp;
        sources = t->tallies.sources.size();
        entries = t->sources;
        sink += t->tallies.bin_sources.size();
      });
    });

  // The same work as (c) with CaptureTally driven here, to time finish() on its own.
  double finish_s = std::numeric_limits<double>::infinity();
  Stage whole{"tally_direct", "(c) driven directly"};
  if (only.empty() || only == "finish")
    best_of(repeat, whole, [&] {
      on_file([&](const capture::CaptureFile& f) {
        decode::PacketDecoder decoder;
        tally::CaptureTally t(c, bin_width_s);
        core::Observation obs;
        auto s = f.for_each([&](const capture::RawPacket& p) {
          if (decoder.decode(p, obs)) t.add(obs);
        });
        if (!s) failed = true, failure = s.error().message;
        const auto t0 = std::chrono::steady_clock::now();
        const tally::TallySet out = t.finish();
        const auto t1 = std::chrono::steady_clock::now();
        sink += out.totals.size();
        finish_s = std::min(finish_s, std::chrono::duration<double>(t1 - t0).count());
      });
    });
  if (failed) {
    fmt::print(stderr, "ingest_bench: {}\n", failure);
    return 1;
  }

  const std::vector<Stage*> stages = {&read, &decode, &match, &tally};
  const double n = static_cast<double>(records);
  fmt::print("ingest_bench: {} ({} bytes), best of {}, single thread, bin width {} s\n", path,
             file_bytes, repeat, bin_width_s);
  fmt::print("{:<32} {:>9} {:>9} {:>12} {:>10}\n", "stage", "seconds", "cpu s", "packets/s",
             "ns/packet");
  for (const Stage* s : stages) {
    if (!std::isfinite(s->best_s)) continue;  // not run (--only)
    fmt::print("{:<32} {:>9.3f} {:>9.3f} {:>12.0f} {:>10.1f}\n", s->label, s->best_s, s->best_cpu_s,
               n / s->best_s, s->best_s * 1e9 / n);
  }
  if (std::isfinite(tally.best_s)) {
    fmt::print("{:<32} {:>9.3f} {:>9} {:>12.0f} {:>10.1f}\n", "    first run (fresh memory)",
               tally.first_s, "", n / tally.first_s, tally.first_s * 1e9 / n);
  }
  if (std::isfinite(finish_s)) {
    fmt::print("{:<32} {:>9.3f} {:>9} {:>12} {:>10.1f}\n", "    of which finish()", finish_s, "",
               "", finish_s * 1e9 / n);
  }
  fmt::print(
      "packets {}, NTP packets {}, sources {} (source x rule-mask entries {}), peak RSS {:.0f} "
      "MiB\n",
      records, ntp, sources, entries, static_cast<double>(peak_rss_kib()) / 1024.0);
  if (cache_hits + cache_misses > 0) {
    fmt::print(
        "match cache: {} hits ({} by raw key), {} misses ({:.2f} % hits), {} matched directly\n",
        cache_hits, cache_raw_hits, cache_misses,
        100.0 * static_cast<double>(cache_hits) / static_cast<double>(cache_hits + cache_misses),
        cache_bypassed);
  }

  nlohmann::json j;
  j["bench"] = "ingest";
  j["file"] = path;
  j["bytes"] = file_bytes;
  j["map_once"] = map_once;
  j["repeat"] = repeat;
  j["bin_width_s"] = bin_width_s;
  j["packets"] = records;
  j["ntp_packets"] = ntp;
  j["sources"] = sources;
  j["source_entries"] = entries;
  for (const Stage* s : stages) {
    if (!std::isfinite(s->best_s)) continue;
    j[s->key + "_s"] = s->best_s;
    j[s->key + "_cpu_s"] = s->best_cpu_s;
    j[s->key + "_pps"] = n / s->best_s;
  }
  if (std::isfinite(tally.best_s)) j["tally_first_s"] = tally.first_s;
  if (std::isfinite(finish_s)) j["finish_s"] = finish_s;
  if (cache_hits + cache_misses > 0) {
    j["match_cache_hits"] = cache_hits;
    j["match_cache_raw_hits"] = cache_raw_hits;
    j["match_cache_misses"] = cache_misses;
    j["match_cache_bypassed"] = cache_bypassed;
  }
  j["peak_rss_kib"] = peak_rss_kib();
  j["checksum"] = sink;  // keeps the timed loops from being optimised away
  fmt::print("{}\n", j.dump());
  return 0;
}

}  // namespace

}  // namespace iotcensus::bench

int main(int argc, char** argv) {
  std::string path;
  int repeat = 3;
  int64_t bin_width_s = 3600;
  CLI::App app{"Time the single-thread ingest path (read, decode, classify, tally) on a capture",
               "ingest_bench"};
  app.add_option("file", path, "Capture file (pcap or pcapng)")->required();
  app.add_option("--repeat", repeat, "Runs per stage; the best is reported")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  app.add_option("--bin-width", bin_width_s, "Bin width in seconds")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  std::string only;
  app.add_option("--only", only,
                 "Run one stage only (for perf stat): read, decode, decode_match or tally")
      ->check(CLI::IsMember({"read", "decode", "decode_match", "tally", "finish"}));
  bool map_once = false;
  app.add_flag("--map-once", map_once,
               "Map the file once for all runs (as sessions 1-6 measured), instead of opening, "
               "mapping and unmapping it in each timed run");
  CLI11_PARSE(app, argc, argv);
  return iotcensus::bench::run(path, repeat, bin_width_s, only, map_once);
}

// `iotcensus simulate`: a scenario's device population as the vantage point sees it — a pcap or
// pcapng of every request in a window, or the daily per-source format — plus the truth (--truth).

#include <fmt/format.h>
#include <CLI/CLI.hpp>

#include <time.h>

#include <chrono>
#include <cstdio>
#include <iostream>
#include <memory>

#include "cli/commands.h"
#include "core/time_bin.h"
#include "simulate/addressing.h"
#include "simulate/capture_writer.h"
#include "simulate/daily_writer.h"
#include "simulate/population.h"
#include "simulate/request_sweep.h"
#include "simulate/scenario.h"
#include "simulate/schedule.h"
#include "simulate/truth.h"

namespace iotcensus::cli {

namespace {

struct SimulateOptions {
  std::string scenario;
  double scale = 1.0;
  uint64_t seed = 1;
  std::string format = "pcap";
  std::string from;
  std::string to;
  std::string out;
  std::string truth;
  bool quiet = false;
};

int fail(const std::string& message, int code = 2) {
  std::cerr << "iotcensus simulate: " << message << "\n";
  return code;
}

double thread_cpu_seconds() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

int run_simulate(const SimulateOptions& o) {
  const bool capture = o.format == "pcap" || o.format == "pcapng";
  if (!capture && o.format != "daily") return fail("--format must be pcap, pcapng or daily");
  auto scenario = simulate::resolve_scenario(o.scenario);
  if (!scenario) return fail(scenario.error().message);
  const simulate::Scenario& sc = scenario.value();
  int64_t from_s = sc.start_s, to_s = sc.end_s;
  if (!o.from.empty()) {
    auto t = core::parse_iso8601(o.from);
    if (!t)
      return fail(fmt::format("--from '{}' is not ISO 8601 (e.g. 2003-06-01T00:00:00Z)", o.from));
    from_s = *t;
  }
  if (!o.to.empty()) {
    auto t = core::parse_iso8601(o.to);
    if (!t) return fail(fmt::format("--to '{}' is not ISO 8601 (e.g. 2003-06-02T00:00:00Z)", o.to));
    to_s = *t;
  }
  if (capture && (o.from.empty() || o.to.empty())) {
    return fail("--format pcap/pcapng needs a window: --from and --to");
  }
  if (to_s <= from_s) return fail("--to must be after --from");
  if (!(o.scale > 0)) return fail("--scale must be positive");

  const auto t0 = std::chrono::steady_clock::now();
  const double cpu0 = thread_cpu_seconds();
  simulate::Population pop = simulate::make_population(sc, o.scale, o.seed);
  simulate::AddressBook book(o.seed, pop.slots, sc.vantage.server);
  simulate::Schedule schedule(sc, pop, o.seed);
  std::optional<simulate::TruthTally> truth;
  if (!o.truth.empty()) truth.emplace(sc);

  std::FILE* out = stdout;
  std::unique_ptr<std::FILE, int (*)(std::FILE*)> owned(nullptr, &std::fclose);
  if (o.out != "-") {
    owned.reset(std::fopen(o.out.c_str(), "wb"));
    if (!owned) return fail(fmt::format("{}: cannot write", o.out), 1);
    out = owned.get();
  }
  const int64_t from_ns = from_s * core::kNanosPerSecond, to_ns = to_s * core::kNanosPerSecond;
  uint64_t packets = 0, rows = 0;
  if (capture) {
    simulate::CaptureWriter w(out, o.format == "pcap" ? simulate::CaptureFormat::kPcap
                                                      : simulate::CaptureFormat::kPcapng);
    auto r = simulate::write_capture(schedule, book, from_ns, to_ns, w, truth ? &*truth : nullptr);
    if (!r) return fail(r.error().message, 1);
    if (auto s = w.finish(); !s) return fail(fmt::format("{}: {}", o.out, s.error().message), 1);
    packets = r->packets;
  } else {
    auto r = simulate::write_daily(schedule, book, from_ns, to_ns, out, truth ? &*truth : nullptr);
    if (!r) return fail(r.error().message, 1);
    if (std::fflush(out) != 0) return fail(fmt::format("{}: write error", o.out), 1);
    packets = r->packets;
    rows = r->rows;
  }
  if (owned && std::fclose(owned.release()) != 0)
    return fail(fmt::format("{}: write error", o.out), 1);
  if (truth) {
    if (auto s = truth->write_daily(o.truth); !s) return fail(s.error().message, 1);
    simulate::AddressBook fresh(o.seed, pop.slots, sc.vantage.server);
    if (auto s = simulate::write_devices(o.truth, sc, pop, fresh); !s)
      return fail(s.error().message, 1);
  }
  const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  // CPU time of this thread, which generates everything (a capture's writes run on another).
  const double cpu_secs = thread_cpu_seconds() - cpu0;
  if (!o.quiet) {
    std::cerr << fmt::format(
        "iotcensus simulate: {} '{}' scale {} seed {}: {} devices, {} requests{} in {:.2f} s "
        "({:.3g} packets/s; generating thread {:.2f} CPU s, {:.3g} packets per CPU s)\n",
        o.format, sc.name, o.scale, o.seed, pop.devices.size(), packets,
        capture ? std::string() : fmt::format(" in {} rows", rows), secs,
        secs > 0 ? static_cast<double>(packets) / secs : 0.0, cpu_secs,
        cpu_secs > 0 ? static_cast<double>(packets) / cpu_secs : 0.0);
  }
  return 0;
}

}  // namespace

Command add_simulate_command(CLI::App& app) {
  auto o = std::make_shared<SimulateOptions>();
  auto* sub = app.add_subcommand(
      "simulate", "Simulate a device population: capture or daily summaries, plus ground truth");
  sub->add_option(
         "--scenario", o->scenario,
         "Scenario name (scenarios/NAME.toml, or $IOTCENSUS_SCENARIOS_DIR/NAME.toml) or file")
      ->required();
  sub->add_option("--scale", o->scale, "Multiply every cohort's size by this")
      ->capture_default_str();
  sub->add_option("--seed", o->seed, "Random seed; the same seed gives byte-identical output")
      ->capture_default_str();
  sub->add_option("--format", o->format, "pcap, pcapng or daily")->capture_default_str();
  sub->add_option("--from", o->from, "Window start, ISO 8601 UTC (default: scenario start)");
  sub->add_option("--to", o->to, "Window end (exclusive), ISO 8601 UTC (default: scenario end)");
  sub->add_option("--out", o->out, "Output file, or - for standard output")->required();
  sub->add_option("--truth", o->truth,
                  "Write devices.csv, daily.csv, requests.csv and windows.csv here");
  sub->add_flag("-q,--quiet", o->quiet, "No summary line on standard error");
  return {sub, [o] { return run_simulate(*o); }};
}

}  // namespace iotcensus::cli

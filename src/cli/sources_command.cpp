// `iotcensus sources`: per source and class, first and last seen, packets and cadence (median
// inter-arrival and its spread), busiest first.

#include <fmt/format.h>
#include <CLI/CLI.hpp>

#include <iostream>

#include "cli/commands.h"
#include "core/time_bin.h"
#include "store/sqlite_store.h"

namespace iotcensus::cli {

namespace {

struct SourcesOptions {
  std::string store = "census.db";
  std::string class_name;
  size_t limit = 50;
  bool csv = false;
};

int run_sources(const SourcesOptions& o) {
  auto store = store::SqliteStore::open_existing(o.store);
  if (!store) {
    std::cerr << "iotcensus sources: " << store.error().message << "\n";
    return 2;
  }
  std::optional<std::string> cls;
  if (!o.class_name.empty()) cls = o.class_name;
  auto rows = store->sources(cls, o.limit);
  if (!rows) {
    std::cerr << "iotcensus sources: " << rows.error().message << "\n";
    return 2;
  }
  if (auto policy = store->address_policy(); policy && policy.value() && !o.csv) {
    std::cout << "addresses: " << policy.value()->describe() << "\n";
  }
  auto when = [](int64_t ns) { return core::format_iso8601(core::floor_seconds(ns)); };
  if (o.csv) {
    std::cout
        << "source,class,first_seen,last_seen,packets,intervals,median_interval_s,spread_octaves\n";
    for (const auto& r : rows.value()) {
      std::cout << fmt::format("{},{},{},{},{},{},{:.6g},{:.3f}\n", r.source, r.class_name,
                               when(r.first_ns), when(r.last_ns), r.packets, r.intervals,
                               r.median_interval_s, r.spread_octaves);
    }
    return 0;
  }
  std::cout << fmt::format("{:<39}  {:<22}  {:<20}  {:<20}  {:>9}  {:>10}  {:>7}\n", "source",
                           "class", "first seen", "last seen", "packets", "median iat", "spread");
  for (const auto& r : rows.value()) {
    std::string median = r.intervals ? fmt::format("{:.3g} s", r.median_interval_s) : "-";
    std::string spread = r.intervals ? fmt::format("{:.2f}", r.spread_octaves) : "-";
    std::cout << fmt::format("{:<39}  {:<22}  {:<20}  {:<20}  {:>9}  {:>10}  {:>7}\n", r.source,
                             r.class_name, when(r.first_ns), when(r.last_ns), r.packets, median,
                             spread);
  }
  return 0;
}

}  // namespace

Command add_sources_command(CLI::App& app) {
  auto o = std::make_shared<SourcesOptions>();
  auto* sub = app.add_subcommand("sources", "List sources with first/last seen and cadence");
  sub->add_option("--store", o->store, "Store file (SQLite)")->capture_default_str();
  sub->add_option("--class", o->class_name, "Only this class");
  sub->add_option("--limit", o->limit, "At most this many rows")->capture_default_str();
  sub->add_flag("--csv", o->csv, "CSV instead of a table");
  return {sub, [o] { return run_sources(*o); }};
}

}  // namespace iotcensus::cli

// `iotcensus report`: the census per bin and class from the store, as a table, CSV or JSON.

#include <fmt/format.h>
#include <CLI/CLI.hpp>

#include <iostream>

#include "cli/commands.h"
#include "core/time_bin.h"
#include "report/census_report.h"
#include "store/sqlite_store.h"

namespace iotcensus::cli {

namespace {

struct ReportOptions {
  std::string store = "census.db";
  std::string format = "table";
  std::string bin = "day";
  std::string class_name;
  uint32_t k = report::kDefaultK;
};

int run_report(const ReportOptions& o) {
  auto width = core::parse_bin_width(o.bin);
  if (!width) {
    std::cerr << fmt::format(
        "iotcensus report: --bin '{}' is not a width (hour, day, week, 6h...)\n", o.bin);
    return 2;
  }
  const auto parsed_format = report::parse_format(o.format);
  if (!parsed_format) {
    std::cerr << fmt::format("iotcensus report: --format '{}' is not table, csv or json\n",
                             o.format);
    return 2;
  }
  const report::Format format = *parsed_format;
  auto store = store::SqliteStore::open_existing(o.store);
  if (!store) {
    std::cerr << "iotcensus report: " << store.error().message << "\n";
    return 2;
  }
  store::CensusQuery q;
  q.bin_width_s = *width;
  if (!o.class_name.empty()) q.class_name = o.class_name;
  report::CensusReport r;
  r.bin_width_s = *width;
  auto rows = store->census(q);
  if (!rows) {
    std::cerr << "iotcensus report: " << rows.error().message << "\n";
    return 2;
  }
  r.rows = std::move(rows.value());
  auto flags = store->flags(q);
  auto captures = store->captures();
  if (!flags || !captures) {
    std::cerr << "iotcensus report: " << (flags ? captures.error() : flags.error()).message << "\n";
    return 2;
  }
  r.flags = std::move(flags.value());
  auto policy = store->address_policy();
  if (policy) r.addresses = policy.value();
  r.publication = report::apply_k_anonymity(r.rows, r.flags, o.k);
  r.captures = std::move(captures.value());
  report::write_census(std::cout, r, format);
  return 0;
}

}  // namespace

Command add_report_command(CLI::App& app) {
  auto o = std::make_shared<ReportOptions>();
  auto* sub = app.add_subcommand("report", "Print the census per bin and class");
  sub->add_option("--store", o->store, "Store file (SQLite)")->capture_default_str();
  sub->add_option("--format", o->format, "table, csv or json")->capture_default_str();
  sub->add_option("--bin", o->bin,
                  "Bin width: hour, day, week or e.g. 6h (a multiple of the store's)")
      ->capture_default_str();
  sub->add_option("--class", o->class_name, "Only this class");
  sub->add_option("--k", o->k,
                  "Suppress cells backed by fewer than k distinct sources (k-anonymity; 1 = off)")
      ->capture_default_str()
      ->check(CLI::Range(1u, 1000000u));
  return {sub, [o] { return run_report(*o); }};
}

}  // namespace iotcensus::cli

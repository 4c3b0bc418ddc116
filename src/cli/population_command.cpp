// `iotcensus population`: how many devices of each class per day, week or month, by several
// estimators, each a point with low and high bounds; `best` is the recommended one.

#include <fmt/format.h>
#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include <cmath>
#include <iostream>
#include <set>

#include "analyze/population.h"
#include "cli/commands.h"
#include "cli/population_pipeline.h"
#include "core/time_bin.h"
#include "report/publication.h"
#include "store/sqlite_store.h"

namespace iotcensus::cli {

namespace {

struct PopulationOptions {
  LinkArgs link;
  std::string bin = "day";
  std::vector<std::string> estimators;
  std::string format = "table";
  uint32_t k = report::kDefaultK;
};

std::string number(double v) {
  if (std::isnan(v)) return "";
  if (std::abs(v - std::round(v)) < 1e-9)
    return fmt::format("{}", static_cast<int64_t>(std::llround(v)));
  return fmt::format("{:.2f}", v);
}

int fail(const std::string& message, int code) {
  std::cerr << "iotcensus population: " << message << "\n";
  return code;
}

int run_population(const PopulationOptions& o) {
  analyze::PopulationOptions po;
  if (o.bin == "day") {
    po.bin = analyze::PopulationBin::kDay;
  } else if (o.bin == "week") {
    po.bin = analyze::PopulationBin::kWeek;
  } else if (o.bin == "month") {
    po.bin = analyze::PopulationBin::kMonth;
  } else {
    return fail(fmt::format("--bin '{}': use day, week or month", o.bin), 2);
  }
  std::set<std::string> known;
  for (const auto& e : analyze::population_estimators()) known.insert(e.name);
  std::set<std::string> wanted;
  for (const auto& e : o.estimators) {
    if (!known.count(e)) {
      std::string list;
      for (const auto& k : analyze::population_estimators()) list += std::string(" ") + k.name;
      return fail(fmt::format("--estimator '{}' is unknown; estimators:{}", e, list), 2);
    }
    wanted.insert(e);
  }
  if (wanted.empty() && o.format == "table") {
    wanted = po.bin == analyze::PopulationBin::kDay
                 ? std::set<std::string>{"best", "raw", "nat", "churn", "rate", "births", "deaths"}
                 : std::set<std::string>{"best", "raw", "churn", "best-mean", "births", "deaths"};
  }
  auto opened = open_and_link(o.link);
  if (!opened) return fail(opened.error().message, link_exit_code(opened.error()));
  const auto& linked = opened->classes;
  auto policy = opened->store.address_policy();
  const std::optional<store::AddressPolicy> pol = policy ? policy.value() : std::nullopt;

  std::vector<analyze::EstimateRow> rows;
  size_t suppressed = 0;
  for (auto& [name, c] : linked) {
    analyze::PopulationOptions class_options = po;
    class_options.absence_days = c.absence.days;
    auto r = analyze::estimate_population(name, *c.linker, c.lives, class_options);
    // k-anonymity: a bin with fewer than k distinct sources publishes no numbers.
    std::set<int64_t> small;
    for (const auto& e : r) {
      if (e.estimator == "raw" && e.estimate < o.k) small.insert(e.bin_start);
    }
    for (auto& e : r) {
      if (!wanted.empty() && !wanted.count(e.estimator)) continue;
      if (small.count(e.bin_start)) {
        e.estimate = e.low = e.high = NAN;
        ++suppressed;
      }
      rows.push_back(std::move(e));
    }
  }
  auto day_text = [](int64_t s) { return core::format_date(s); };
  if (o.format == "csv") {
    std::cout << "bin_start,class,estimator,estimate,low,high\n";
    for (const auto& e : rows) {
      std::cout << fmt::format("{},{},{},{},{},{}\n", day_text(e.bin_start), e.class_name,
                               e.estimator, number(e.estimate), number(e.low), number(e.high));
    }
    return 0;
  }
  if (o.format == "json") {
    nlohmann::json j;
    j["store"] = o.link.store;
    j["bin"] = o.bin;
    j["addresses"] = pol ? pol->describe() : "none ingested";
    j["k"] = o.k;
    j["suppressed_rows"] = suppressed;
    for (const auto& e : analyze::population_estimators()) {
      j["estimators"].push_back({{"name", e.name}, {"method", e.method}});
    }
    for (const auto& [name, c] : linked) {
      j["classes"][name] = {{"absence_days", c.absence.days},
                            {"absence_reason", c.absence.reason},
                            {"devices", c.lives.size()},
                            {"ambiguous_links", c.linker->ambiguous_links()},
                            {"unseen_moves", c.linker->unseen_moves()},
                            {"relinked", c.linker->relinked()},
                            {"sole_links", c.linker->sole_links()},
                            {"chain_joins", c.linker->chain_joins()},
                            {"returns_after_days", c.linker->gaps()}};
    }
    j["rows"] = nlohmann::json::array();
    auto num = [](double v) -> nlohmann::json {
      if (std::isnan(v)) return nullptr;
      return v;
    };
    for (const auto& e : rows) {
      j["rows"].push_back({{"bin_start", day_text(e.bin_start)},
                           {"class", e.class_name},
                           {"estimator", e.estimator},
                           {"estimate", num(e.estimate)},
                           {"low", num(e.low)},
                           {"high", num(e.high)}});
    }
    std::cout << j.dump(1) << "\n";
    return 0;
  }
  if (o.format != "table")
    return fail(fmt::format("--format '{}': use table, csv or json", o.format), 2);
  std::cout << "addresses: " << (pol ? pol->describe() : "none ingested") << "\n";
  if (o.k > 1) {
    std::cout << fmt::format(
        "k-anonymity: bins with fewer than {} distinct sources are suppressed ({} values)\n", o.k,
        suppressed);
  }
  for (const auto& e : analyze::population_estimators()) {
    if (wanted.count(e.name)) std::cout << fmt::format("  {:<13} {}\n", e.name, e.method);
  }
  for (const auto& [name, c] : linked) {
    std::cout << fmt::format("\n{}: {} devices linked; {}\n", name, c.lives.size(),
                             c.absence.reason);
    std::vector<std::string> cols;
    for (const auto& e : analyze::population_estimators()) {
      if (wanted.count(e.name)) cols.push_back(e.name);
    }
    std::cout << fmt::format("{:<10}", "bin");
    for (const auto& col : cols) std::cout << fmt::format("  {:>26}", col);
    std::cout << "\n";
    std::map<int64_t, std::map<std::string, const analyze::EstimateRow*>> table;
    for (const auto& e : rows) {
      if (e.class_name == name) table[e.bin_start][e.estimator] = &e;
    }
    for (const auto& [bin, by] : table) {
      std::cout << fmt::format("{:<10}", day_text(bin));
      for (const auto& col : cols) {
        auto it = by.find(col);
        std::string cell = "-";
        if (it != by.end()) {
          const auto& e = *it->second;
          if (std::isnan(e.estimate)) {
            cell = fmt::format("<k");
          } else if (e.low == e.high) {
            cell = number(e.estimate);
          } else {
            cell = fmt::format("{} [{}, {}]", number(e.estimate), number(e.low), number(e.high));
          }
        }
        std::cout << fmt::format("  {:>26}", cell);
      }
      std::cout << "\n";
    }
  }
  return 0;
}

}  // namespace

Command add_population_command(CLI::App& app) {
  auto o = std::make_shared<PopulationOptions>();
  auto* sub = app.add_subcommand(
      "population", "Devices per class and day, week or month, with bounds, by several estimators");
  sub->add_option("--store", o->link.store, "Store file (SQLite)")->capture_default_str();
  sub->add_option("--class", o->link.class_name, "Only this class");
  sub->add_option("--bin", o->bin, "day, week or month")->capture_default_str();
  sub->add_option("--estimator", o->estimators,
                  "Only these estimators (repeat; default all, or a short list for tables)");
  sub->add_option("--format", o->format, "table, csv or json")->capture_default_str();
  sub->add_option("--k", o->k,
                  "Suppress bins with fewer than k distinct sources (k-anonymity; 1 = off)")
      ->capture_default_str()
      ->check(CLI::Range(1u, 1000000u));
  add_link_options(sub, o->link);
  return {sub, [o] { return run_population(*o); }};
}

}  // namespace iotcensus::cli

// `iotcensus lifetimes --from-csv FILE --time COL --event COL [--entry COL] [--group COL]`:
// Kaplan-Meier, median, restricted mean, log-rank and ranked parametric fits of a data set.

#include <fmt/format.h>
#include <CLI/CLI.hpp>

#include <iostream>

#include "analyze/kaplan_meier.h"
#include "analyze/log_rank.h"
#include "analyze/parametric.h"
#include "analyze/survival_data.h"
#include "cli/commands.h"
#include "report/lifetimes_report.h"

namespace iotcensus::cli {

namespace {

struct LifetimesOptions {
  std::string csv;
  analyze::SurvivalColumns columns;
  std::string models = "all";
  std::string format = "table";
  double conf_level = 0.95;
};

int run_lifetimes(const LifetimesOptions& o) {
  const auto parsed_format = report::parse_format(o.format);
  if (!parsed_format) {
    std::cerr << fmt::format("iotcensus lifetimes: --format '{}' is not table, csv or json\n",
                             o.format);
    return 2;
  }
  const report::Format format = *parsed_format;
  std::vector<analyze::Distribution> models;
  if (o.models == "all") {
    models = analyze::all_distributions();
  } else if (o.models != "none") {
    std::string rest = o.models;
    while (!rest.empty()) {
      const auto comma = rest.find(',');
      const std::string name = rest.substr(0, comma);
      auto d = analyze::parse_distribution(name);
      if (!d) {
        std::cerr << "iotcensus lifetimes: --models: " << d.error().message << "\n";
        return 2;
      }
      models.push_back(d.value());
      rest = comma == std::string::npos ? "" : rest.substr(comma + 1);
    }
  }
  auto data = analyze::load_survival_csv(o.csv, o.columns);
  if (!data) {
    std::cerr << "iotcensus lifetimes: " << data.error().message << "\n";
    return 1;
  }
  const analyze::SurvivalData& d = data.value();
  if (d.size() == 0) {
    std::cerr << fmt::format("iotcensus lifetimes: {}: no complete rows\n", o.csv);
    return 1;
  }
  report::LifetimesReport r;
  r.source = o.csv;
  r.subjects = static_cast<int64_t>(d.size());
  r.events = static_cast<int64_t>(d.events());
  r.dropped_rows = d.dropped_rows;
  r.left_truncated = d.has_entry();
  r.km = analyze::kaplan_meier(d, {o.conf_level});
  r.median = analyze::km_quantile(r.km, 0.5);
  r.rmean = analyze::restricted_mean(r.km);
  if (d.has_group()) {
    auto lr = analyze::log_rank(d);
    if (lr) r.log_rank = lr.value();
  }
  r.fits = analyze::fit_and_rank(d, models);
  report::write_lifetimes(std::cout, r, format);
  return 0;
}

}  // namespace

Command add_lifetimes_command(CLI::App& app) {
  auto o = std::make_shared<LifetimesOptions>();
  auto* sub = app.add_subcommand(
      "lifetimes", "Survival analysis (Kaplan-Meier, log-rank, parametric fits) of lifetimes");
  sub->add_option("--from-csv", o->csv, "CSV file with a header row")->required();
  sub->add_option("--time", o->columns.time, "Column of lifetimes (or exit times)")->required();
  sub->add_option("--event", o->columns.event, "Column of event flags (1/0, TRUE/FALSE, R's 2/1)")
      ->required();
  sub->add_option("--entry", o->columns.entry, "Column of entry times (left truncation)");
  sub->add_option("--group", o->columns.group, "Column of group labels (log-rank test)");
  sub->add_option("--models", o->models,
                  "all, none, or a comma list of exponential, weibull, lognormal, loglogistic, "
                  "gompertz, exponential-mixture, weibull-mixture")
      ->capture_default_str();
  sub->add_option("--format", o->format, "table, csv (Kaplan-Meier table) or json")
      ->capture_default_str();
  sub->add_option("--conf-level", o->conf_level, "Confidence level of the intervals")
      ->capture_default_str()
      ->check(CLI::Range(0.5, 0.999));
  return {sub, [o] { return run_lifetimes(*o); }};
}

}  // namespace iotcensus::cli

// `iotcensus lifetimes --from-csv FILE --time COL --event COL [--entry COL] [--group COL]`:
// Kaplan-Meier, median, restricted mean, log-rank and ranked parametric fits of a data set.
// `iotcensus lifetimes --population-csv FILE [--births-csv FILE] [--project-below X]`: the
// straight line and population curves fitted to daily counts, with projections.
// `iotcensus lifetimes --class C [--store census.db]`: both, from the class's lives and its daily
// `best` count and births in the store.

#include <fmt/format.h>
#include <CLI/CLI.hpp>

#include <iostream>

#include <cmath>
#include <limits>

#include "analyze/daily_series.h"
#include "analyze/kaplan_meier.h"
#include "analyze/likelihood_ratio.h"
#include "analyze/linear_decline.h"
#include "analyze/lives_survival.h"
#include "analyze/log_rank.h"
#include "analyze/parametric.h"
#include "analyze/population.h"
#include "analyze/population_curve.h"
#include "analyze/population_projection.h"
#include "analyze/survival_data.h"
#include "cli/commands.h"
#include "cli/population_pipeline.h"
#include "core/time_bin.h"
#include "report/lifetimes_report.h"
#include "report/publication.h"
#include "store/sqlite_store.h"

namespace iotcensus::cli {

namespace {

struct LifetimesOptions {
  std::string csv;
  analyze::SurvivalColumns columns;
  std::string models = "all";
  std::string format = "table";
  double conf_level = 0.95;
  // Population series mode.
  std::string population_csv;
  std::string births_csv;
  double project_below = std::numeric_limits<double>::quiet_NaN();
  int64_t project_days = 3650;
  int64_t project_step = 365;
  int draws = 1000;
  bool fit_share = false;
  // Store mode (--class).
  LinkArgs link;
  uint32_t k = report::kDefaultK;
};

int fail(const std::string& message, int code) {
  std::cerr << "iotcensus lifetimes: " << message << "\n";
  return code;
}

// The straight line and (with births) the population curves fitted to `r.population`, ranked
// by AIC, each projected. An error when nothing could be fitted.
core::Status fit_population(report::PopulationReport& r, const analyze::DailySeries& births,
                            const std::vector<analyze::Distribution>& models,
                            const LifetimesOptions& o, bool fit_share) {
  r.below = o.project_below;
  r.conf_level = o.conf_level;
  r.draws = o.draws;
  auto line = analyze::fit_linear_decline(r.population);
  if (line) r.line = *line;
  if (!r.births_source.empty() && !models.empty()) {
    analyze::PopulationCurveOptions options;
    options.fit_share = fit_share;
    r.curves = analyze::fit_population_curves(r.population, births, models, options);
    if (r.curves.empty()) {
      // Report why with the first model's error.
      auto fit = analyze::fit_population_curve(r.population, births, models.front(), options);
      return core::Error{
          core::ErrorCode::kUsage,
          fit ? std::string("no population curve could be fitted") : fit.error().message};
    }
  }
  if (!r.line && r.curves.empty()) return line.error();
  r.ranking = analyze::rank_population_models(r.line ? &*r.line : nullptr, r.curves);
  analyze::ProjectionOptions projection;
  projection.below = o.project_below;
  projection.horizon_days = o.project_days;
  projection.step_days = o.project_step;
  projection.conf_level = o.conf_level;
  projection.draws = o.draws;
  for (const auto& row : r.ranking) {
    if (row.model == "linear") {
      r.projections.push_back(analyze::project_linear(*r.line, r.population, projection));
      continue;
    }
    for (const auto& c : r.curves) {
      if (row.model == analyze::distribution_name(c.distribution())) {
        r.projections.push_back(analyze::project_population(c, r.population, births, projection));
      }
    }
  }
  return core::Ok{};
}

// Kaplan-Meier, median, restricted mean, log-rank (with groups), the ranked fits and the
// likelihood-ratio tests of the exponential against the models it is nested in.
report::LifetimesReport analyse_survival(const analyze::SurvivalData& d,
                                         const std::vector<analyze::Distribution>& models,
                                         double conf_level) {
  report::LifetimesReport r;
  r.subjects = static_cast<int64_t>(d.size());
  r.events = static_cast<int64_t>(d.events());
  r.dropped_rows = d.dropped_rows;
  r.left_truncated = d.has_entry();
  r.km = analyze::kaplan_meier(d, {conf_level});
  r.median = analyze::km_quantile(r.km, 0.5);
  r.rmean = analyze::restricted_mean(r.km);
  if (d.has_group()) {
    auto lr = analyze::log_rank(d);
    if (lr) r.log_rank = lr.value();
  }
  r.fits = analyze::fit_and_rank(d, models);
  auto find = [&](analyze::Distribution m) -> const analyze::ParametricFit* {
    for (const auto& f : r.fits) {
      if (f.distribution == m) return &f;
    }
    return nullptr;
  };
  using D = analyze::Distribution;
  const analyze::ParametricFit* exponential = find(D::kExponential);
  for (D alternative : {D::kExponentialMixture, D::kWeibullMixture, D::kWeibull}) {
    const analyze::ParametricFit* a = find(alternative);
    if (!exponential || !a) continue;
    auto t = analyze::likelihood_ratio_test(*exponential, *a);
    if (t) r.likelihood_ratio.push_back(t.value());
  }
  return r;
}

int run_population(const LifetimesOptions& o, const std::vector<analyze::Distribution>& models,
                   report::Format format) {
  auto population = analyze::load_daily_series_csv(o.population_csv, "count");
  if (!population) return fail(population.error().message, 1);
  report::PopulationReport r;
  r.source = o.population_csv;
  r.population = *population;
  analyze::DailySeries births;
  if (!o.births_csv.empty()) {
    auto b = analyze::load_daily_series_csv(o.births_csv, "births");
    if (!b) return fail(b.error().message, 1);
    births = *b;
    if (births.dates != r.population.dates) {
      return fail(fmt::format("{} and {}: one gives dates and the other day numbers",
                              o.population_csv, o.births_csv),
                  1);
    }
    r.births_source = o.births_csv;
  }
  auto st = fit_population(r, births, models, o, o.fit_share);
  if (!st) return fail(st.error().message, 1);
  report::write_population(std::cout, r, format);
  return 0;
}

// Lifetimes of one class of the store: its lives as survival data (docs/lifetimes.md "Lifetimes
// from the store"), and its daily `best` count with its births as a population series.
int run_store(const LifetimesOptions& o, const std::vector<analyze::Distribution>& models,
              report::Format format) {
  auto opened = open_and_link(o.link);
  if (!opened) return fail(opened.error().message, link_exit_code(opened.error()));
  auto it = opened->classes.find(o.link.class_name);
  const LinkedClass& c = it->second;
  const analyze::LivesSurvival lives = analyze::survival_of_lives(c.lives);
  if (lives.data.size() == 0) {
    return fail(fmt::format("{}: class '{}' has no lives born within the record", o.link.store,
                            o.link.class_name),
                1);
  }
  report::LifetimesReport r = analyse_survival(lives.data, models, o.conf_level);
  r.source = fmt::format("class {} in {}", o.link.class_name, o.link.store);
  report::LivesSource source;
  source.store = o.link.store;
  source.class_name = o.link.class_name;
  const auto& observed = c.linker->observed_days();
  source.first_day = core::format_date(int64_t{observed.front()} * 86400);
  source.last_day = core::format_date(int64_t{observed.back()} * 86400);
  source.absence_days = c.absence.days;
  source.absence_reason = c.absence.reason;
  source.lives = lives.lives;
  source.dead = lives.dead;
  source.alive = lives.alive;
  source.lost = lives.lost;
  source.left_truncated = lives.left_truncated;
  // Publication: the tail of the Kaplan-Meier table, where fewer than k devices are at risk,
  // would describe single devices; it is withheld (the fits use every life).
  source.k = o.k;
  const size_t before = r.km.rows.size();
  std::erase_if(r.km.rows, [&](const analyze::KaplanMeierRow& row) { return row.n_risk < o.k; });
  source.withheld_rows = before - r.km.rows.size();
  r.lives = source;

  analyze::PopulationOptions daily;
  daily.bin = analyze::PopulationBin::kDay;
  daily.absence_days = c.absence.days;
  const auto rows = analyze::estimate_population(o.link.class_name, *c.linker, c.lives, daily);
  report::PopulationReport p;
  p.source = fmt::format("{} best per day", o.link.class_name);
  p.births_source = fmt::format("{} births per day", o.link.class_name);
  p.population = analyze::estimator_series(rows, "best");
  const analyze::DailySeries births = analyze::estimator_series(rows, "births");
  // `best` counts the devices on line that day, a share of those alive: the share is fitted.
  auto st = fit_population(p, births, models, o, true);
  if (st) {
    r.population = std::move(p);
  } else {
    std::cerr << "iotcensus lifetimes: population curves of the daily counts: "
              << st.error().message << "\n";
  }
  report::write_lifetimes(std::cout, r, format);
  return 0;
}

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
  if (!o.link.class_name.empty()) {
    if (!o.csv.empty() || !o.population_csv.empty() || !o.births_csv.empty()) {
      return fail(
          "--class reads the store: give it without --from-csv, --population-csv and "
          "--births-csv",
          2);
    }
    return run_store(o, models, format);
  }
  if (!o.population_csv.empty()) {
    if (!o.csv.empty()) {
      std::cerr << "iotcensus lifetimes: give --from-csv or --population-csv, not both\n";
      return 2;
    }
    return run_population(o, models, format);
  }
  if (o.csv.empty() || o.columns.time.empty() || o.columns.event.empty()) {
    std::cerr << "iotcensus lifetimes: --from-csv FILE --time COL --event COL, "
                 "--population-csv FILE, or --class C is required\n";
    return 2;
  }
  if (!o.births_csv.empty() || !std::isnan(o.project_below)) {
    std::cerr << "iotcensus lifetimes: --births-csv and --project-below go with "
                 "--population-csv\n";
    return 2;
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
  report::LifetimesReport r = analyse_survival(d, models, o.conf_level);
  r.source = o.csv;
  report::write_lifetimes(std::cout, r, format);
  return 0;
}

}  // namespace

Command add_lifetimes_command(CLI::App& app) {
  auto o = std::make_shared<LifetimesOptions>();
  auto* sub = app.add_subcommand(
      "lifetimes",
      "Survival analysis (Kaplan-Meier, log-rank, parametric fits) of lifetimes, or population "
      "curves and projections of daily counts");
  sub->add_option("--from-csv", o->csv, "CSV file of lifetimes with a header row");
  sub->add_option("--time", o->columns.time, "Column of lifetimes (or exit times)");
  sub->add_option("--event", o->columns.event, "Column of event flags (1/0, TRUE/FALSE, R's 2/1)");
  sub->add_option("--entry", o->columns.entry, "Column of entry times (left truncation)");
  sub->add_option("--group", o->columns.group, "Column of group labels (log-rank test)");
  sub->add_option("--models", o->models,
                  "all, none, or a comma list of exponential, weibull, lognormal, loglogistic, "
                  "gompertz, exponential-mixture, weibull-mixture")
      ->capture_default_str();
  sub->add_option("--population-csv", o->population_csv,
                  "CSV of devices alive or online per day (columns day,count; day YYYY-MM-DD or "
                  "a number): fit the straight line and, with --births-csv, population curves");
  sub->add_option("--births-csv", o->births_csv,
                  "CSV of births per day (columns day,births), for the population curves");
  sub->add_option("--project-below", o->project_below,
                  "Project when fewer than X devices remain (with an interval)");
  sub->add_option("--project-days", o->project_days, "Days to project past the last day")
      ->capture_default_str()
      ->check(CLI::Range(int64_t{0}, int64_t{36525}));
  sub->add_option("--project-step", o->project_step, "Days between projected points")
      ->capture_default_str()
      ->check(CLI::Range(int64_t{1}, int64_t{36525}));
  sub->add_option("--draws", o->draws, "Parameter draws behind the projection intervals")
      ->capture_default_str()
      ->check(CLI::Range(0, 100000));
  sub->add_flag("--fit-share", o->fit_share,
                "Also fit the share c of living devices the counts see (N = c * births (*) S)");
  sub->add_option("--class", o->link.class_name,
                  "Lifetimes of this class's devices from the store (lives, daily counts, births)");
  sub->add_option("--store", o->link.store, "Store file (SQLite), with --class")
      ->capture_default_str();
  add_link_options(sub, o->link, "With --class: ");
  sub->add_option("--k", o->k,
                  "With --class: withhold Kaplan-Meier rows with fewer than k devices at risk "
                  "(k-anonymity; 1 = off)")
      ->capture_default_str()
      ->check(CLI::Range(1u, 1000000u));
  sub->add_option("--format", o->format,
                  "table, csv (Kaplan-Meier table, or the population per day) or json")
      ->capture_default_str();
  sub->add_option("--conf-level", o->conf_level, "Confidence level of the intervals")
      ->capture_default_str()
      ->check(CLI::Range(0.5, 0.999));
  return {sub, [o] { return run_lifetimes(*o); }};
}

}  // namespace iotcensus::cli

// Lifetime and population-series reports in the three output formats; see lifetimes_report.h.
#include "report/lifetimes_report.h"

#include <fmt/format.h>
#include <fmt/ostream.h>

#include <algorithm>
#include <cmath>
#include <nlohmann/json.hpp>

namespace iotcensus::report {

namespace {

// JSON has no NaN or infinity: undefined values (R's NA) become null.
nlohmann::json number(double v) {
  if (std::isfinite(v)) return v;
  return nullptr;
}

std::string text(double v) {
  if (std::isnan(v)) return "NA";
  if (std::isinf(v)) return "Inf";
  return fmt::format("{:.6g}", v);
}

nlohmann::json population_json(const PopulationReport& r);
void write_population_table(std::ostream& out, const PopulationReport& r);

nlohmann::json fit_json(const analyze::ParametricFit& f, double best_aic) {
  nlohmann::json params = nlohmann::json::array();
  for (const auto& p : f.parameters) {
    params.push_back(
        {{"name", p.name}, {"estimate", number(p.estimate)}, {"std_error", number(p.std_error)}});
  }
  nlohmann::json natural = nlohmann::json::array();
  for (const auto& p : f.natural) {
    natural.push_back(
        {{"name", p.name}, {"estimate", number(p.estimate)}, {"std_error", number(p.std_error)}});
  }
  return {{"model", analyze::distribution_name(f.distribution)},
          {"parameters", params},
          {"natural_parameters", natural},
          {"log_likelihood", number(f.log_likelihood)},
          {"n_parameters", f.n_parameters},
          {"aic", number(f.aic)},
          {"delta_aic", number(f.aic - best_aic)},
          {"bic", number(f.bic)},
          {"half_life", number(f.half_life)},
          {"mean_life", number(f.mean_life)},
          {"converged", f.converged}};
}

void write_json(std::ostream& out, const LifetimesReport& r) {
  nlohmann::json j;
  j["source"] = r.source;
  j["subjects"] = r.subjects;
  j["events"] = r.events;
  j["dropped_rows"] = r.dropped_rows;
  j["left_truncated"] = r.left_truncated;
  j["conf_level"] = r.km.conf_level;
  auto& km = j["kaplan_meier"] = nlohmann::json::array();
  for (const auto& row : r.km.rows) {
    km.push_back({{"time", row.time},
                  {"n_risk", row.n_risk},
                  {"n_event", row.n_event},
                  {"n_censor", row.n_censor},
                  {"survival", row.surv},
                  {"std_err", number(row.se_surv)},
                  {"std_err_log", number(row.se_log_surv)},
                  {"lower", number(row.lower_log)},
                  {"upper", number(row.upper_log)},
                  {"lower_loglog", number(row.lower_loglog)},
                  {"upper_loglog", number(row.upper_loglog)},
                  {"cumulative_hazard", number(row.cumhaz)},
                  {"cumulative_hazard_std_err", number(row.se_cumhaz)}});
  }
  j["median"] = {{"time", number(r.median.time)},
                 {"lower", number(r.median.lower_log)},
                 {"upper", number(r.median.upper_log)},
                 {"lower_loglog", number(r.median.lower_loglog)},
                 {"upper_loglog", number(r.median.upper_loglog)}};
  j["restricted_mean"] = {{"mean", number(r.rmean.mean)},
                          {"std_err", number(r.rmean.se)},
                          {"end_time", number(r.rmean.end_time)}};
  if (r.log_rank) {
    j["log_rank"] = {{"groups", r.log_rank->groups},
                     {"observed", r.log_rank->observed},
                     {"expected", r.log_rank->expected},
                     {"chi_square", number(r.log_rank->chi_square)},
                     {"df", r.log_rank->df},
                     {"p_value", number(r.log_rank->p_value)}};
  }
  auto& models = j["models"] = nlohmann::json::array();
  for (const auto& f : r.fits) models.push_back(fit_json(f, r.fits.front().aic));
  auto& tests = j["likelihood_ratio_tests"] = nlohmann::json::array();
  for (const auto& t : r.likelihood_ratio) {
    tests.push_back({{"null", t.null_model},
                     {"alternative", t.alternative_model},
                     {"statistic", number(t.statistic)},
                     {"df", t.df},
                     {"p_value", number(t.p_value)},
                     {"boundary", t.boundary}});
  }
  if (r.lives) {
    const LivesSource& l = *r.lives;
    j["lives"] = {{"store", l.store},
                  {"class", l.class_name},
                  {"first_day", l.first_day},
                  {"last_day", l.last_day},
                  {"absence_days", l.absence_days},
                  {"absence_reason", l.absence_reason},
                  {"lives", l.lives},
                  {"dead", l.dead},
                  {"alive", l.alive},
                  {"lost_in_outage", l.lost},
                  {"left_truncated_left_out", l.left_truncated},
                  {"k", l.k},
                  {"kaplan_meier_rows_withheld", l.withheld_rows}};
  }
  if (r.population) j["population"] = population_json(*r.population);
  out << j.dump(2) << "\n";
}

void write_csv(std::ostream& out, const LifetimesReport& r) {
  out << "time,n_risk,n_event,n_censor,survival,std_err,lower,upper,lower_loglog,upper_loglog,"
         "cumulative_hazard\n";
  for (const auto& row : r.km.rows) {
    fmt::print(out, "{},{},{},{},{},{},{},{},{},{},{}\n", text(row.time), row.n_risk, row.n_event,
               row.n_censor, text(row.surv), text(row.se_surv), text(row.lower_log),
               text(row.upper_log), text(row.lower_loglog), text(row.upper_loglog),
               text(row.cumhaz));
  }
}

// One line per model: the survival fit to the lives and the population curve fitted to the
// daily counts, each with its AIC difference to the best of its kind, half-life and mean life.
void write_side_by_side(std::ostream& out, const LifetimesReport& r, const PopulationReport& p) {
  std::vector<std::string> names;
  for (const auto& f : r.fits) names.push_back(analyze::distribution_name(f.distribution));
  for (const auto& row : p.ranking) {
    if (std::find(names.begin(), names.end(), row.model) == names.end()) {
      names.push_back(row.model);
    }
  }
  fmt::print(out, "{:<22} | {:^38} | {:^38}\n", "", "survival fit to the lives",
             "population curve fit to daily counts");
  fmt::print(out, "{:<22} | {:>10} {:>13} {:>13} | {:>10} {:>13} {:>13}\n", "model", "dAIC",
             "half-life", "mean life", "dAIC", "half-life", "mean life");
  for (const auto& name : names) {
    std::string left = fmt::format("{:>10} {:>13} {:>13}", "-", "-", "-");
    for (const auto& f : r.fits) {
      if (name == analyze::distribution_name(f.distribution)) {
        left = fmt::format("{:>10.4g} {:>13} {:>13}", f.aic - r.fits.front().aic, text(f.half_life),
                           text(f.mean_life));
      }
    }
    std::string right = fmt::format("{:>10} {:>13} {:>13}", "-", "-", "-");
    for (const auto& row : p.ranking) {
      if (row.model != name) continue;
      double half = NAN, mean = NAN;
      for (const auto& c : p.curves) {
        if (name == analyze::distribution_name(c.distribution())) {
          half = c.survival.half_life;
          mean = c.survival.mean_life;
        }
      }
      right = fmt::format("{:>10.4g} {:>13} {:>13}", row.delta_aic, text(half), text(mean));
    }
    fmt::print(out, "{:<22} | {} | {}\n", name, left, right);
  }
  out << "(AICs compare within a column only: the two fits are to different data. Days.)\n\n";
}

void write_table(std::ostream& out, const LifetimesReport& r) {
  fmt::print(out, "lifetimes of {}: {} subjects, {} events{}{}\n", r.source, r.subjects, r.events,
             r.left_truncated ? ", left-truncated (delayed entry)" : "",
             r.dropped_rows ? fmt::format(", {} rows dropped (NA)", r.dropped_rows) : "");
  if (r.lives) {
    const LivesSource& l = *r.lives;
    fmt::print(out,
               "record {} to {}; {}\n{} lives: {} dead (events), {} alive at the end and {} lost "
               "in an outage (censored), {} present at the start left out (birth unknown)\n"
               "time = days from first to last seen + 1\n",
               l.first_day, l.last_day, l.absence_reason, l.lives, l.dead, l.alive, l.lost,
               l.left_truncated);
    if (l.k > 1) {
      fmt::print(out,
                 "k-anonymity: Kaplan-Meier rows with fewer than {} devices at risk are withheld "
                 "({} rows)\n",
                 l.k, l.withheld_rows);
    }
  }
  fmt::print(out, "median {} (95% CI {} - {}), restricted mean {} (se {}) up to {}\n\n",
             text(r.median.time), text(r.median.lower_log), text(r.median.upper_log),
             text(r.rmean.mean), text(r.rmean.se), text(r.rmean.end_time));
  if (r.log_rank) {
    fmt::print(out, "log-rank test between {} groups: chi-square {} on {} df, p = {}\n\n",
               r.log_rank->groups.size(), text(r.log_rank->chi_square), r.log_rank->df,
               text(r.log_rank->p_value));
  }
  if (!r.fits.empty()) {
    const double best = r.fits.front().aic;
    fmt::print(out, "{:<26} {:>12} {:>4} {:>12} {:>9} {:>12} {:>12}\n", "model (best AIC first)",
               "loglik", "k", "AIC", "dAIC", "half-life", "mean life");
    for (const auto& f : r.fits) {
      fmt::print(out, "{:<26} {:>12.6g} {:>4} {:>12.6g} {:>9.3g} {:>12} {:>12}\n",
                 analyze::distribution_name(f.distribution), f.log_likelihood, f.n_parameters,
                 f.aic, f.aic - best, text(f.half_life), text(f.mean_life));
    }
    out << "\n";
  }
  for (const auto& t : r.likelihood_ratio) {
    fmt::print(out, "likelihood-ratio test, {} against {}: 2 dLL = {} on {} df, p = {}{}\n",
               t.null_model, t.alternative_model, text(t.statistic), t.df, text(t.p_value),
               t.boundary ? " (approximate: the null is on the mixture's boundary)" : "");
  }
  if (!r.likelihood_ratio.empty()) out << "\n";
  if (r.population) {
    write_side_by_side(out, r, *r.population);
    write_population_table(out, *r.population);
    out << "\n";
  }
  fmt::print(out, "{:>10} {:>7} {:>7} {:>10} {:>10} {:>10} {:>10}\n", "time", "n_risk", "events",
             "survival", "std_err", "lower95", "upper95");
  if (r.lives) {
    // Thousands of event days: a row a year, as summary.survfit(times = ...) prints them.
    const double end = r.km.rows.empty() ? 0 : r.km.rows.back().time;
    for (double t = 365; t <= end; t += 365) {
      const analyze::KaplanMeierRow* row = r.km.row_at(t);
      if (!row) continue;
      fmt::print(out, "{:>10} {:>7} {:>7} {:>10.6f} {:>10.6f} {:>10} {:>10}\n", text(t),
                 r.km.n_risk_at(t), "", row->surv, row->se_surv, text(row->lower_log),
                 text(row->upper_log));
    }
    return;
  }
  for (const auto& row : r.km.rows) {
    if (row.n_event == 0) continue;
    fmt::print(out, "{:>10} {:>7} {:>7} {:>10.6f} {:>10.6f} {:>10} {:>10}\n", text(row.time),
               row.n_risk, row.n_event, row.surv, row.se_surv, text(row.lower_log),
               text(row.upper_log));
  }
}

// A day as the series wrote it (date or number); null when undefined or never.
nlohmann::json day_json(double day, bool dates) {
  if (!std::isfinite(day)) return nullptr;
  const auto d = static_cast<int64_t>(day);
  if (dates) return analyze::format_day(d, true);
  return d;
}

std::string day_text(double day, bool dates) {
  if (std::isnan(day)) return "NA";
  if (std::isinf(day)) return "never";
  return analyze::format_day(static_cast<int64_t>(day), dates);
}

nlohmann::json parameters_json(const std::vector<analyze::Parameter>& ps) {
  nlohmann::json out = nlohmann::json::array();
  for (const auto& p : ps) {
    out.push_back(
        {{"name", p.name}, {"estimate", number(p.estimate)}, {"std_error", number(p.std_error)}});
  }
  return out;
}

nlohmann::json projection_json(const analyze::Projection& p, bool dates) {
  nlohmann::json points = nlohmann::json::array();
  for (const auto& pt : p.points) {
    points.push_back({{"day", day_json(static_cast<double>(pt.day), dates)},
                      {"count", number(pt.count)},
                      {"lower", number(pt.lower)},
                      {"upper", number(pt.upper)}});
  }
  nlohmann::json j = {{"points", points}};
  if (!std::isnan(p.crossing.threshold)) {
    j["below"] = {{"threshold", p.crossing.threshold},
                  {"day", day_json(p.crossing.day, dates)},
                  {"never", std::isinf(p.crossing.day)},
                  {"lower", day_json(p.crossing.lower, dates)},
                  {"upper", day_json(p.crossing.upper, dates)},
                  {"draws", p.crossing.draws},
                  {"draws_never", p.crossing.never}};
  }
  return j;
}

const analyze::Projection* projection_of(const PopulationReport& r, const std::string& model) {
  for (const auto& p : r.projections) {
    if (p.model == model) return &p;
  }
  return nullptr;
}

nlohmann::json population_json(const PopulationReport& r) {
  const bool dates = r.population.dates;
  nlohmann::json j;
  j["source"] = r.source;
  j["births_source"] = r.births_source;
  j["days"] = r.population.size();
  j["first_day"] = day_json(static_cast<double>(r.population.day.front()), dates);
  j["last_day"] = day_json(static_cast<double>(r.population.day.back()), dates);
  j["dates"] = dates;
  j["conf_level"] = r.conf_level;
  j["draws"] = r.draws;
  auto projection = [&](const std::string& model) -> nlohmann::json {
    const analyze::Projection* p = projection_of(r, model);
    return p ? projection_json(*p, dates) : nlohmann::json(nullptr);
  };
  if (r.line) {
    const auto& l = *r.line;
    j["linear"] = {{"model", "linear"},
                   {"intercept", number(l.intercept)},
                   {"intercept_std_error", number(l.intercept_std_error)},
                   {"slope", number(l.slope)},
                   {"slope_std_error", number(l.slope_std_error)},
                   {"rss", number(l.rss)},
                   {"sigma", number(l.sigma)},
                   {"r_squared", number(l.r_squared)},
                   {"log_likelihood", number(l.log_likelihood)},
                   {"n_parameters", l.n_parameters},
                   {"aic", number(l.aic)},
                   {"bic", number(l.bic)},
                   {"zero_day", day_json(std::round(l.zero_day), dates)},
                   {"zero_day_exact", number(l.zero_day)},
                   {"zero_day_std_error", number(l.zero_day_std_error)},
                   {"projection", projection("linear")}};
  }
  auto& models = j["models"] = nlohmann::json::array();
  for (const auto& c : r.curves) {
    const std::string name = analyze::distribution_name(c.distribution());
    models.push_back({{"model", name},
                      {"parameters", parameters_json(c.survival.parameters)},
                      {"natural_parameters", parameters_json(c.survival.natural)},
                      {"share", number(c.share)},
                      {"share_fitted", c.share_fitted},
                      {"share_std_error", number(c.share_std_error)},
                      {"rss", number(c.rss)},
                      {"sigma", number(c.sigma)},
                      {"log_likelihood", number(c.log_likelihood)},
                      {"n_parameters", c.n_parameters},
                      {"aic", number(c.aic)},
                      {"bic", number(c.bic)},
                      {"half_life", number(c.survival.half_life)},
                      {"mean_life", number(c.survival.mean_life)},
                      {"converged", c.converged},
                      {"projection", projection(name)}});
  }
  auto& ranking = j["ranking"] = nlohmann::json::array();
  for (const auto& row : r.ranking) {
    ranking.push_back({{"model", row.model},
                       {"n_parameters", row.n_parameters},
                       {"log_likelihood", number(row.log_likelihood)},
                       {"aic", number(row.aic)},
                       {"bic", number(row.bic)},
                       {"delta_aic", number(row.delta_aic)}});
  }
  return j;
}

void write_population_json(std::ostream& out, const PopulationReport& r) {
  out << population_json(r).dump(2) << "\n";
}

// Observed days with the best model's fitted value, then its projected days with intervals.
void write_population_csv(std::ostream& out, const PopulationReport& r) {
  const bool dates = r.population.dates;
  out << "day,observed,model,fitted,lower,upper\n";
  if (r.ranking.empty()) return;
  const std::string best = r.ranking.front().model;
  const std::vector<double>* fitted = nullptr;
  for (const auto& c : r.curves) {
    if (best == analyze::distribution_name(c.distribution())) fitted = &c.fitted;
  }
  for (std::size_t i = 0; i < r.population.size(); ++i) {
    const double f =
        fitted ? (*fitted)[i]
               : (r.line ? r.line->at(static_cast<double>(r.population.day[i])) : std::nan(""));
    fmt::print(out, "{},{},{},{},NA,NA\n", analyze::format_day(r.population.day[i], dates),
               text(r.population.value[i]), best, text(f));
  }
  if (const analyze::Projection* p = projection_of(r, best)) {
    for (const auto& pt : p->points) {
      if (pt.day <= r.population.day.back()) continue;
      fmt::print(out, "{},NA,{},{},{},{}\n", analyze::format_day(pt.day, dates), best,
                 text(pt.count), text(pt.lower), text(pt.upper));
    }
  }
}

void write_population_table(std::ostream& out, const PopulationReport& r) {
  const bool dates = r.population.dates;
  const int level = static_cast<int>(std::lround(100 * r.conf_level));
  fmt::print(out, "population series {}: {} days, {} to {}{}\n", r.source, r.population.size(),
             analyze::format_day(r.population.day.front(), dates),
             analyze::format_day(r.population.day.back(), dates),
             r.births_source.empty() ? " (no births series: straight line only)"
                                     : ", births from " + r.births_source);
  if (r.line) {
    const auto& l = *r.line;
    fmt::print(out,
               "straight line: N(t) = a + b t, t the day number{}: a = {} (se {}), b = {} per day "
               "(se {}); reaches 0 on {} (se {} days)\n",
               dates ? " (days since 1970-01-01)" : "", text(l.intercept),
               text(l.intercept_std_error), text(l.slope), text(l.slope_std_error),
               day_text(std::round(l.zero_day), dates), text(l.zero_day_std_error));
  }
  const bool ask = !std::isnan(r.below);
  out << "\n";
  fmt::print(out, "{:<22} {:>4} {:>14} {:>14} {:>10}", "model (best AIC first)", "k", "loglik",
             "AIC", "dAIC");
  if (ask) {
    fmt::print(out, " {:>12} {:>25}", fmt::format("< {}", text(r.below)),
               fmt::format("{}% interval", level));
  }
  out << "\n";
  for (const auto& row : r.ranking) {
    fmt::print(out, "{:<22} {:>4} {:>14.8g} {:>14.8g} {:>10.4g}", row.model, row.n_parameters,
               row.log_likelihood, row.aic, row.delta_aic);
    const analyze::Projection* p = projection_of(r, row.model);
    if (ask && p) {
      fmt::print(out, " {:>12} {:>25}", day_text(p->crossing.day, dates),
                 fmt::format("{} - {}", day_text(p->crossing.lower, dates),
                             day_text(p->crossing.upper, dates)));
    }
    out << "\n";
  }
  for (const auto& c : r.curves) {
    fmt::print(out, "\n{}: half-life {} days, mean life {} days{}\n",
               analyze::distribution_name(c.distribution()), text(c.survival.half_life),
               text(c.survival.mean_life),
               c.share_fitted
                   ? fmt::format(", share {} (se {})", text(c.share), text(c.share_std_error))
                   : "");
    for (const auto& q : c.survival.parameters) {
      fmt::print(out, "  {:<12} {:>14} (se {})\n", q.name, text(q.estimate), text(q.std_error));
    }
  }
  if (r.ranking.empty()) return;
  if (const analyze::Projection* p = projection_of(r, r.ranking.front().model)) {
    fmt::print(out, "\nprojection ({}, {}% intervals from {} parameter draws)\n", p->model, level,
               r.draws);
    fmt::print(out, "{:>12} {:>14} {:>14} {:>14}\n", "day", "count", "lower", "upper");
    for (const auto& pt : p->points) {
      fmt::print(out, "{:>12} {:>14.8g} {:>14.8g} {:>14.8g}\n", analyze::format_day(pt.day, dates),
                 pt.count, pt.lower, pt.upper);
    }
  }
}

}  // namespace

void write_lifetimes(std::ostream& out, const LifetimesReport& report, Format format) {
  switch (format) {
    case Format::kJson:
      write_json(out, report);
      break;
    case Format::kCsv:
      write_csv(out, report);
      break;
    case Format::kTable:
      write_table(out, report);
      break;
  }
}

void write_population(std::ostream& out, const PopulationReport& report, Format format) {
  switch (format) {
    case Format::kJson:
      write_population_json(out, report);
      break;
    case Format::kCsv:
      write_population_csv(out, report);
      break;
    case Format::kTable:
      write_population_table(out, report);
      break;
  }
}

}  // namespace iotcensus::report

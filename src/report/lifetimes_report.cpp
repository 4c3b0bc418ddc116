#include "report/lifetimes_report.h"

#include <fmt/format.h>
#include <fmt/ostream.h>

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

nlohmann::json fit_json(const analyze::ParametricFit& f) {
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
  for (const auto& f : r.fits) models.push_back(fit_json(f));
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

void write_table(std::ostream& out, const LifetimesReport& r) {
  fmt::print(out, "lifetimes of {}: {} subjects, {} events{}{}\n", r.source, r.subjects, r.events,
             r.left_truncated ? ", left-truncated (delayed entry)" : "",
             r.dropped_rows ? fmt::format(", {} rows dropped (NA)", r.dropped_rows) : "");
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
  fmt::print(out, "{:>10} {:>7} {:>7} {:>10} {:>10} {:>10} {:>10}\n", "time", "n_risk", "events",
             "survival", "std_err", "lower95", "upper95");
  for (const auto& row : r.km.rows) {
    if (row.n_event == 0) continue;
    fmt::print(out, "{:>10} {:>7} {:>7} {:>10.6f} {:>10.6f} {:>10} {:>10}\n", text(row.time),
               row.n_risk, row.n_event, row.surv, row.se_surv, text(row.lower_log),
               text(row.upper_log));
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

}  // namespace iotcensus::report

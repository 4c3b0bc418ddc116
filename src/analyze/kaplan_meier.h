// Kaplan-Meier survival curve with right censoring and left truncation, Greenwood variance,
// "log" and "log-log" confidence intervals, quantiles, restricted mean, Nelson-Aalen hazard.
#pragma once

#include <cstdint>
#include <vector>

#include "analyze/survival_data.h"

namespace iotcensus::analyze {

// One row per distinct observed time (event or censoring), as R's survfit() lists them.
// NaN stands for R's NA (an interval that is not defined, e.g. log-log where S is 0 or 1).
struct KaplanMeierRow {
  double time = 0;
  int64_t n_risk = 0;  // subjects with entry < time <= their time
  int64_t n_event = 0;
  int64_t n_censor = 0;
  double surv = 1;                      // S(time), right-continuous
  double se_surv = 0;                   // Greenwood standard error of S
  double se_log_surv = 0;               // standard error of log S (what survfit calls std.err)
  double lower_log = 1, upper_log = 1;  // conf.type = "log" (R's default)
  double lower_loglog = 0, upper_loglog = 0;  // conf.type = "log-log" (lifelines' default)
  double cumhaz = 0;                          // Nelson-Aalen cumulative hazard
  double se_cumhaz = 0;                       // its standard error, sqrt(sum d / n^2)
};

struct KaplanMeier {
  std::vector<KaplanMeierRow> rows;
  int64_t n = 0;
  int64_t events = 0;
  double conf_level = 0.95;
  // The row in force at time t (last row with time <= t), or nullptr before the first row.
  const KaplanMeierRow* row_at(double t) const;
  // S(t) as a step function (1 before the first event).
  double survival_at(double t) const;
  // Subjects at risk at t: n_risk of the first row with time >= t (0 past the end), as
  // summary.survfit(times=) reports it.
  int64_t n_risk_at(double t) const;
};

struct KaplanMeierOptions {
  double conf_level = 0.95;
};

KaplanMeier kaplan_meier(const SurvivalData& data, const KaplanMeierOptions& options = {});

// The time at which the curve first falls to `survival_level` or below, with the confidence
// limits found the same way on the interval curves (R's quantile.survfit rule: the smallest
// time with S <= level; when S equals the level exactly on a flat stretch, the midpoint of that
// stretch). NaN when the curve never gets there. Median: survival_level = 0.5.
struct SurvivalQuantile {
  double survival_level = 0.5;
  double time = 0;
  double lower_log = 0, upper_log = 0;
  double lower_loglog = 0, upper_loglog = 0;
};
SurvivalQuantile km_quantile(const KaplanMeier& km, double survival_level);

// Restricted mean survival time: integral of S from 0 to end_time (default: the largest
// observed time, as print.survfit's rmean), with its standard error.
struct RestrictedMean {
  double mean = 0;
  double se = 0;
  double end_time = 0;
};
RestrictedMean restricted_mean(const KaplanMeier& km);
RestrictedMean restricted_mean(const KaplanMeier& km, double end_time);

// Standard normal quantile (inverse CDF), accurate to a few ulp; z for conf 0.95 is 1.959964.
double normal_quantile(double p);
// Standard normal upper tail probability P(Z > z).
double normal_upper_tail(double z);

}  // namespace iotcensus::analyze

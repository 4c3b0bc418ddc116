// The straight-line model of a population series, N(t) = a + b t, by least squares (R's lm()):
// coefficients with standard errors, Gaussian log-likelihood and AIC, and the day it reaches 0.
#pragma once

#include <cstdint>

#include "analyze/daily_series.h"
#include "core/error.h"

namespace iotcensus::analyze {

struct LinearDecline {
  double intercept = 0;  // a: the line at day 0 (the series' own day numbers)
  double slope = 0;      // b: change per day
  double intercept_std_error = 0, slope_std_error = 0;
  double covariance = 0;  // of (a, b)
  double rss = 0;         // residual sum of squares
  double sigma = 0;       // residual standard error sqrt(rss / (n - 2)), lm's sigma
  double r_squared = 0;
  // Gaussian likelihood with the variance at its maximum rss / n, as R's logLik(lm): counts
  // a, b and the variance, so k = 3. Comparable with the population curves' least squares.
  double log_likelihood = 0;
  int n_parameters = 3;
  int64_t n = 0;  // days
  double aic = 0, bic = 0;
  double zero_day = 0;            // -a / b when b < 0 (NaN otherwise)
  double zero_day_std_error = 0;  // delta method
  double at(double day) const { return intercept + slope * day; }
};

// Least squares over the series' (day, value) points. kUsage error with fewer than 3 days.
core::Result<LinearDecline> fit_linear_decline(const DailySeries& population);

}  // namespace iotcensus::analyze

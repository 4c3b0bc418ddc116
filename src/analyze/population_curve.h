// Population curves: the devices alive (or online) on each day as the births convolved with a
// survival model, N(t) = c sum over s <= t of births(s) S(t - s), fitted to a daily count series.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "analyze/daily_series.h"
#include "analyze/linear_decline.h"
#include "analyze/optimize.h"
#include "analyze/parametric.h"
#include "core/error.h"

namespace iotcensus::analyze {

struct PopulationCurveOptions {
  // Fit c, the share of the living devices the counts see (else c = 1: the counts are all).
  bool fit_share = false;
  int max_evaluations = 20000;
};

// Least squares: the Gaussian likelihood with the variance at its maximum rss / n (as for the
// straight line, so AICs compare), maximised over the survival parameters (c, when fitted, in
// closed form at each step). Standard errors from the inverted observed information of that
// profile likelihood (numerical Hessian over the survival parameters and log c).
struct PopulationCurveFit {
  // The survival model (time in days): parameters named and ordered as ParametricFit's, with
  // standard errors, natural forms, half_life and mean_life. Its log_likelihood, aic, bic,
  // n_parameters, n (days) and converged are this fit's; `events` is the number of births.
  ParametricFit survival;
  bool share_fitted = false;
  double share = 1;            // c
  double share_std_error = 0;  // NaN when c is not fitted
  double rss = 0;              // residual sum of squares
  double sigma = 0;            // sqrt(rss / n), the maximum-likelihood residual deviation
  double log_likelihood = 0;
  int n_parameters = 0;  // survival parameters + c (when fitted) + the variance
  int64_t n = 0;         // days of the population series
  double aic = 0, bic = 0;
  bool converged = false;
  // Of the survival parameters followed by log c (when fitted); NaN when not invertible.
  Matrix covariance;
  std::vector<double> fitted;  // c N(t) on each day of the population series
  Distribution distribution() const { return survival.distribution; }
  // The parameter vector `covariance` describes: survival parameters, then log c if fitted.
  Vector estimates() const;
};

// Fits one survival model. Errors (kUsage): an empty series, no births on or before the last
// population day, or fewer days than parameters + 2; days are those of the two series, which
// must both be dates or both be day numbers. Births outside the births series count as 0; the
// series is taken to hold every birth (devices born before it are not modelled).
core::Result<PopulationCurveFit> fit_population_curve(const DailySeries& population,
                                                      const DailySeries& births,
                                                      Distribution distribution,
                                                      const PopulationCurveOptions& options = {});

// Fits each model in `models`, skipping those that fail; best AIC first.
std::vector<PopulationCurveFit> fit_population_curves(const DailySeries& population,
                                                      const DailySeries& births,
                                                      const std::vector<Distribution>& models,
                                                      const PopulationCurveOptions& options = {});

// The model's count on `day`, c sum births(s) S(day - s), for parameters `estimates` laid out
// as PopulationCurveFit::estimates() (so that projections can vary them).
double population_count(Distribution distribution, const Vector& estimates, bool share_fitted,
                        const DailySeries& births, int64_t day);

// One row of the comparison of the straight line and the population curves, best AIC first.
struct PopulationModelRank {
  std::string model;  // "linear" or the survival model's name
  int n_parameters = 0;
  double log_likelihood = 0;
  double aic = 0, bic = 0;
  double delta_aic = 0;  // AIC minus the best AIC
};
std::vector<PopulationModelRank> rank_population_models(
    const LinearDecline* line, const std::vector<PopulationCurveFit>& curves);

}  // namespace iotcensus::analyze

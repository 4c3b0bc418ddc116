// Least-squares straight line with lm()'s standard errors and logLik; see linear_decline.h.
// Sums are taken about the means so that large day numbers (dates) lose no precision.
#include "analyze/linear_decline.h"

#include <cmath>
#include <limits>

namespace iotcensus::analyze {

core::Result<LinearDecline> fit_linear_decline(const DailySeries& population) {
  const std::size_t n = population.size();
  const std::string where = population.source.empty() ? "population series" : population.source;
  if (n < 3) {
    return core::make_error(core::ErrorCode::kUsage,
                            where + ": the straight line needs at least 3 days");
  }
  const double nd = static_cast<double>(n);
  double mean_x = 0, mean_y = 0;
  for (std::size_t i = 0; i < n; ++i) {
    mean_x += static_cast<double>(population.day[i]);
    mean_y += population.value[i];
  }
  mean_x /= nd;
  mean_y /= nd;
  double sxx = 0, sxy = 0, syy = 0;
  for (std::size_t i = 0; i < n; ++i) {
    const double dx = static_cast<double>(population.day[i]) - mean_x;
    const double dy = population.value[i] - mean_y;
    sxx += dx * dx;
    sxy += dx * dy;
    syy += dy * dy;
  }
  if (!(sxx > 0)) {
    return core::make_error(core::ErrorCode::kUsage, where + ": all days are the same");
  }
  LinearDecline fit;
  fit.n = static_cast<int64_t>(n);
  fit.slope = sxy / sxx;
  fit.intercept = mean_y - fit.slope * mean_x;
  for (std::size_t i = 0; i < n; ++i) {
    const double dx = static_cast<double>(population.day[i]) - mean_x;
    const double r = population.value[i] - mean_y - fit.slope * dx;
    fit.rss += r * r;
  }
  const double s2 = fit.rss / (nd - 2);
  fit.sigma = std::sqrt(s2);
  fit.slope_std_error = std::sqrt(s2 / sxx);
  fit.intercept_std_error = std::sqrt(s2 * (1 / nd + mean_x * mean_x / sxx));
  fit.covariance = -mean_x * s2 / sxx;
  fit.r_squared = syy > 0 ? 1 - fit.rss / syy : std::numeric_limits<double>::quiet_NaN();
  fit.log_likelihood = -0.5 * nd * (std::log(2 * M_PI * fit.rss / nd) + 1);
  fit.aic = -2 * fit.log_likelihood + 2 * fit.n_parameters;
  fit.bic = -2 * fit.log_likelihood + fit.n_parameters * std::log(nd);
  if (fit.slope < 0) {
    const double a = fit.intercept, b = fit.slope;
    fit.zero_day = -a / b;
    // Gradient of -a/b: (-1/b, a/b^2).
    const double ga = -1 / b, gb = a / (b * b);
    const double var = ga * ga * fit.intercept_std_error * fit.intercept_std_error +
                       2 * ga * gb * fit.covariance +
                       gb * gb * fit.slope_std_error * fit.slope_std_error;
    fit.zero_day_std_error = std::sqrt(var);
  } else {
    fit.zero_day = fit.zero_day_std_error = std::numeric_limits<double>::quiet_NaN();
  }
  return fit;
}

}  // namespace iotcensus::analyze

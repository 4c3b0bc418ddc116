// Projections of a fitted population (a population curve or the straight line) past its last
// day: the expected count with an interval, and the first day fewer than X devices remain.
#pragma once

#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include "analyze/daily_series.h"
#include "analyze/linear_decline.h"
#include "analyze/population_curve.h"

namespace iotcensus::analyze {

// Intervals come from draws of the parameters from their estimated sampling distribution, the
// normal N(estimate, covariance) of the fit (Krinsky-Robb; a parametric bootstrap that does not
// refit): each draw gives a curve and a crossing day, and the interval is the central
// conf_level share of them. Births after the births series are 0.
struct ProjectionOptions {
  int64_t horizon_days = 3650;  // project this many days past the last population day ...
  int64_t step_days = 365;      // ... one point every step_days
  double below = std::numeric_limits<double>::quiet_NaN();  // X; NaN: no crossing asked
  double conf_level = 0.95;
  int draws = 1000;
  uint64_t seed = 20030514;
  int64_t search_days = 36525;  // a crossing later than this past the last day is "never"
};

struct ProjectionPoint {
  int64_t day = 0;
  double count = 0;  // the fitted curve
  double lower = 0, upper = 0;
};

// The first day, from the last population day on, with an expected count below `threshold`.
// `day` is +inf when it is not within search_days ("never"); NaN when not asked.
struct Crossing {
  double threshold = std::numeric_limits<double>::quiet_NaN();
  double day = std::numeric_limits<double>::quiet_NaN();
  double lower = std::numeric_limits<double>::quiet_NaN();
  double upper = std::numeric_limits<double>::quiet_NaN();
  int draws = 0;  // parameter draws behind the interval (0: no covariance, no interval)
  int never = 0;  // draws that do not cross within search_days
};

struct Projection {
  std::string model;  // "linear" or the survival model's name
  int64_t last_day = 0;
  std::vector<ProjectionPoint> points;
  Crossing crossing;
};

Projection project_population(const PopulationCurveFit& fit, const DailySeries& population,
                              const DailySeries& births, const ProjectionOptions& options = {});
Projection project_linear(const LinearDecline& line, const DailySeries& population,
                          const ProjectionOptions& options = {});

}  // namespace iotcensus::analyze

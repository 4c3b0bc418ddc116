// A cohort's births over time (its sales curve): a piecewise-linear density through dated
// points, sampled by inverting its cumulative distribution; the CDF is exposed for tests.
#pragma once

#include <cstdint>
#include <vector>

#include "simulate/rng.h"

namespace iotcensus::simulate {

struct BirthPoint {
  int64_t time_s = 0;  // Unix seconds
  double density = 0;  // relative births per unit time at this instant (>= 0)
};

class BirthCurve {
 public:
  BirthCurve() = default;
  // Points sorted by time, at least two, some positive density (checked by the loader).
  explicit BirthCurve(std::vector<BirthPoint> points);

  // A birth time (Unix seconds, fractional) drawn from the curve.
  double sample(Rng& rng) const;
  // P(birth <= t).
  double cdf(double t) const;
  int64_t first_s() const { return points_.front().time_s; }
  int64_t last_s() const { return points_.back().time_s; }
  const std::vector<BirthPoint>& points() const { return points_; }

 private:
  std::vector<BirthPoint> points_;
  std::vector<double> cumulative_;  // area up to each point, normalised to 1 at the end
};

}  // namespace iotcensus::simulate

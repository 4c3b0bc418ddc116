// Piecewise-linear birth density: segment areas are trapezoids; inside a segment the inverse
// CDF solves a quadratic (density rises or falls linearly), in a numerically stable form.

#include "simulate/birth_curve.h"

#include <algorithm>
#include <cmath>

namespace iotcensus::simulate {

BirthCurve::BirthCurve(std::vector<BirthPoint> points) : points_(std::move(points)) {
  cumulative_.assign(points_.size(), 0.0);
  for (size_t i = 1; i < points_.size(); ++i) {
    const double w = static_cast<double>(points_[i].time_s - points_[i - 1].time_s);
    cumulative_[i] = cumulative_[i - 1] + 0.5 * w * (points_[i - 1].density + points_[i].density);
  }
  const double total = cumulative_.back();
  if (total > 0) {
    for (auto& c : cumulative_) c /= total;
  }
}

double BirthCurve::sample(Rng& rng) const {
  const double u = rng.unit();
  // The segment holding u: first cumulative value >= u (skipping zero-area segments).
  size_t i = static_cast<size_t>(std::upper_bound(cumulative_.begin(), cumulative_.end(), u) -
                                 cumulative_.begin());
  i = std::clamp<size_t>(i, 1, points_.size() - 1);
  const double t0 = static_cast<double>(points_[i - 1].time_s);
  const double w = static_cast<double>(points_[i].time_s) - t0;
  const double area = cumulative_[i] - cumulative_[i - 1];
  if (area <= 0 || w <= 0) return t0;
  const double f = (u - cumulative_[i - 1]) / area;  // share of this segment's area, [0, 1)
  const double d0 = points_[i - 1].density, d1 = points_[i].density;
  // Solve d0 x + (d1 - d0) x^2 / 2 = f (d0 + d1) / 2 for x in [0, 1].
  const double a = 0.5 * (d1 - d0), b = d0, c = -f * 0.5 * (d0 + d1);
  double x;
  if (std::fabs(a) < 1e-12 * (std::fabs(b) + 1e-300)) {
    x = -c / b;
  } else {
    const double disc = std::max(0.0, b * b - 4 * a * c);
    x = (2 * -c) / (b + std::sqrt(disc));  // the root in [0, 1], without cancellation
  }
  return t0 + std::clamp(x, 0.0, 1.0) * w;
}

double BirthCurve::cdf(double t) const {
  if (t <= static_cast<double>(points_.front().time_s)) return 0.0;
  if (t >= static_cast<double>(points_.back().time_s)) return 1.0;
  size_t i = 1;
  while (static_cast<double>(points_[i].time_s) < t) ++i;
  const double t0 = static_cast<double>(points_[i - 1].time_s);
  const double w = static_cast<double>(points_[i].time_s) - t0;
  const double x = (t - t0) / w;
  const double d0 = points_[i - 1].density, d1 = points_[i].density;
  const double seg = 0.5 * (d0 + d1);
  const double area = cumulative_[i] - cumulative_[i - 1];
  if (seg <= 0) return cumulative_[i - 1];
  return cumulative_[i - 1] + area * (d0 * x + 0.5 * (d1 - d0) * x * x) / seg;
}

}  // namespace iotcensus::simulate

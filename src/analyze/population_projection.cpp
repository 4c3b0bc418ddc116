// Projections and crossing days of fitted populations, with intervals from parameter draws;
// see population_projection.h.
#include "analyze/population_projection.h"

#include <algorithm>
#include <cmath>
#include <random>

namespace iotcensus::analyze {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr double kInf = std::numeric_limits<double>::infinity();

// A population curve at one parameter vector, with S tabulated on whole ages as far as needed.
class CurveAt {
 public:
  CurveAt(Distribution d, Vector estimates, bool share_fitted, const DailySeries& births)
      : d_(d), p_(std::move(estimates)) {
    c_ = share_fitted ? std::exp(p_.back()) : 1.0;
    for (std::size_t i = 0; i < births.size(); ++i) {
      if (births.value[i] <= 0) continue;
      if (births_.empty()) origin_ = births.day[i];
      births_.resize(static_cast<std::size_t>(births.day[i] - origin_ + 1), 0.0);
      births_.back() = births.value[i];
    }
  }
  // The day from which the count can only fall: the last birth.
  int64_t last_birth_day() const { return origin_ + static_cast<int64_t>(births_.size()) - 1; }
  double operator()(int64_t day) {
    const int64_t t = day - origin_;
    if (t < 0 || births_.empty()) return 0;
    grow(t);
    const int64_t last = std::min<int64_t>(t, static_cast<int64_t>(births_.size()) - 1);
    double sum = 0;
    for (int64_t s = 0; s <= last; ++s) {
      sum += births_[static_cast<std::size_t>(s)] * s_grid_[static_cast<std::size_t>(t - s)];
    }
    return c_ * sum;
  }

 private:
  void grow(int64_t age) {
    const auto have = s_grid_.size();
    if (static_cast<std::size_t>(age) < have) return;
    const std::size_t want = std::max(static_cast<std::size_t>(age) + 1, 2 * have);
    std::vector<double> more(want - have);
    model_survival_grid(d_, p_.data(), static_cast<double>(have), 1.0, more);
    s_grid_.insert(s_grid_.end(), more.begin(), more.end());
  }

  Distribution d_;
  Vector p_;
  double c_ = 1;
  int64_t origin_ = 0;
  std::vector<double> births_;
  std::vector<double> s_grid_;
};

// The first day from `from` on with count(day) < threshold, knowing the count cannot rise after
// `falling_from` (>= from) when `falls` is true; +inf when not within `limit` days of `from`.
template <class Count>
double first_below(Count& count, int64_t from, int64_t falling_from, bool falls, double threshold,
                   int64_t limit) {
  for (int64_t t = from; t <= falling_from && t - from <= limit; ++t) {
    if (count(t) < threshold) return static_cast<double>(t);
  }
  if (!falls || falling_from - from >= limit) return kInf;
  // count(lo) >= threshold; look for hi with count(hi) < threshold by doubling, then bisect.
  int64_t lo = falling_from, step = 1, hi = falling_from + 1;
  while (!(count(hi) < threshold)) {
    if (hi - from >= limit) return kInf;
    lo = hi;
    step *= 2;
    hi = std::min(falling_from + step, from + limit);
  }
  while (hi - lo > 1) {
    const int64_t mid = lo + (hi - lo) / 2;
    if (count(mid) < threshold)
      hi = mid;
    else
      lo = mid;
  }
  return static_cast<double>(hi);
}

// Quantile of sorted values (R's type 7), infinities kept.
double quantile(const std::vector<double>& sorted, double q) {
  if (sorted.empty()) return kNaN;
  const double h = q * static_cast<double>(sorted.size() - 1);
  const auto i = static_cast<std::size_t>(std::floor(h));
  if (i + 1 >= sorted.size()) return sorted.back();
  const double a = sorted[i], b = sorted[i + 1];
  if (std::isinf(a) || std::isinf(b)) return h - static_cast<double>(i) > 0 ? b : a;
  return a + (h - static_cast<double>(i)) * (b - a);
}

// Lower-triangular L with L L' = covariance; false when not positive definite or not finite.
bool cholesky(const Matrix& covariance, Matrix& l) {
  const std::size_t n = covariance.size();
  l.assign(n, Vector(n, 0));
  for (std::size_t i = 0; i < n; ++i) {
    for (std::size_t j = 0; j <= i; ++j) {
      double sum = covariance[i][j];
      for (std::size_t k = 0; k < j; ++k) sum -= l[i][k] * l[j][k];
      if (i == j) {
        if (!(sum > 0) || !std::isfinite(sum)) return false;
        l[i][i] = std::sqrt(sum);
      } else {
        l[i][j] = sum / l[j][j];
      }
    }
  }
  return true;
}

// Draws of N(mean, covariance) from a fixed seed (Box-Muller on 53-bit uniforms).
class NormalDraws {
 public:
  NormalDraws(Vector mean, Matrix l, uint64_t seed)
      : mean_(std::move(mean)), l_(std::move(l)), rng_(seed) {}
  Vector next() {
    Vector z(mean_.size());
    for (auto& v : z) v = standard();
    Vector x = mean_;
    for (std::size_t i = 0; i < x.size(); ++i) {
      for (std::size_t j = 0; j <= i; ++j) x[i] += l_[i][j] * z[j];
    }
    return x;
  }

 private:
  double uniform() { return (static_cast<double>(rng_() >> 11) + 0.5) * 0x1.0p-53; }
  double standard() {
    if (have_spare_) {
      have_spare_ = false;
      return spare_;
    }
    const double r = std::sqrt(-2 * std::log(uniform())), a = 2 * M_PI * uniform();
    spare_ = r * std::sin(a);
    have_spare_ = true;
    return r * std::cos(a);
  }
  Vector mean_;
  Matrix l_;
  std::mt19937_64 rng_;
  double spare_ = 0;
  bool have_spare_ = false;
};

// Shared by both kinds of model: `make(p)` gives a count function at parameters p with
// `falling_from(curve)` and `falls(curve)`.
template <class Make, class FallingFrom, class Falls>
Projection project(const std::string& model, const Vector& estimate, const Matrix& covariance,
                   int64_t last_day, const ProjectionOptions& options, Make make,
                   FallingFrom falling_from, Falls falls) {
  Projection out;
  out.model = model;
  out.last_day = last_day;
  const bool ask = !std::isnan(options.below);
  auto crossing_of = [&](auto& curve) {
    return first_below(curve, last_day, std::max(last_day, falling_from(curve)), falls(curve),
                       options.below, options.search_days);
  };
  std::vector<int64_t> days;
  for (int64_t d = last_day; d <= last_day + options.horizon_days;
       d += std::max<int64_t>(1, options.step_days)) {
    days.push_back(d);
  }
  auto best = make(estimate);
  for (int64_t d : days) out.points.push_back({d, best(d), kNaN, kNaN});
  if (ask) {
    out.crossing.threshold = options.below;
    out.crossing.day = crossing_of(best);
  }
  Matrix l;
  if (options.draws <= 0 || !cholesky(covariance, l)) return out;
  NormalDraws draws(estimate, l, options.seed);
  std::vector<std::vector<double>> at_day(days.size());
  std::vector<double> crossings;
  for (int k = 0; k < options.draws; ++k) {
    auto curve = make(draws.next());
    for (std::size_t i = 0; i < days.size(); ++i) at_day[i].push_back(curve(days[i]));
    if (ask) {
      const double c = crossing_of(curve);
      crossings.push_back(std::isnan(c) ? kInf : c);
    }
  }
  const double alpha = 1 - options.conf_level;
  for (std::size_t i = 0; i < days.size(); ++i) {
    std::sort(at_day[i].begin(), at_day[i].end());
    out.points[i].lower = quantile(at_day[i], alpha / 2);
    out.points[i].upper = quantile(at_day[i], 1 - alpha / 2);
  }
  if (ask) {
    std::sort(crossings.begin(), crossings.end());
    out.crossing.draws = options.draws;
    out.crossing.never = static_cast<int>(std::count(crossings.begin(), crossings.end(), kInf));
    out.crossing.lower = quantile(crossings, alpha / 2);
    out.crossing.upper = quantile(crossings, 1 - alpha / 2);
  }
  return out;
}

struct Line {
  double a, b;
  double operator()(int64_t day) const { return a + b * static_cast<double>(day); }
};

}  // namespace

Projection project_population(const PopulationCurveFit& fit, const DailySeries& population,
                              const DailySeries& births, const ProjectionOptions& options) {
  const Distribution d = fit.distribution();
  const bool share = fit.share_fitted;
  return project(
      distribution_name(d), fit.estimates(), fit.covariance, population.day.back(), options,
      [&](const Vector& p) { return CurveAt(d, p, share, births); },
      [](const CurveAt& c) { return c.last_birth_day(); }, [](const CurveAt&) { return true; });
}

Projection project_linear(const LinearDecline& line, const DailySeries& population,
                          const ProjectionOptions& options) {
  const Matrix covariance = {{line.intercept_std_error * line.intercept_std_error, line.covariance},
                             {line.covariance, line.slope_std_error * line.slope_std_error}};
  const int64_t last = population.day.back();
  return project(
      "linear", {line.intercept, line.slope}, covariance, last, options,
      [](const Vector& p) {
        return Line{p[0], p[1]};
      },
      [last](const Line&) { return last; }, [](const Line& l) { return l.b <= 0; });
}

}  // namespace iotcensus::analyze

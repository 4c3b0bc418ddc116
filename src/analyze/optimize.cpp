// NLopt BOBYQA with multiple starts, Newton polishing and numerical second derivatives, shared by
// the survival fits (parametric.cpp) and the population curves (population_curve.cpp).
#include "analyze/optimize.h"

#include <nlopt.h>

#include <algorithm>
#include <cmath>

namespace iotcensus::analyze {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr double kBadObjective = 1e300;

double nlopt_objective(unsigned n, const double* x, double* grad, void* context) {
  (void)n;
  (void)grad;  // derivative-free algorithm
  const double value = (*static_cast<Objective*>(context))(x);
  return std::isfinite(value) ? -value : kBadObjective;
}

double step_for(double x) {
  return 1e-4 * std::max(1.0, std::fabs(x));
}

Vector gradient(Objective& objective, const Vector& x) {
  Vector g(x.size());
  for (std::size_t i = 0; i < x.size(); ++i) {
    Vector up = x, down = x;
    const double h = step_for(x[i]);
    up[i] += h;
    down[i] -= h;
    g[i] = (objective(up.data()) - objective(down.data())) / (2 * h);
  }
  return g;
}

// BOBYQA from `start` within the bounds, to relative tolerance `xtol`.
Optimum bobyqa(Objective& objective, Vector start, const Vector& lower, const Vector& upper,
               double xtol, int max_evaluations) {
  const auto n = static_cast<unsigned>(start.size());
  Optimum out;
  nlopt_opt opt = nlopt_create(NLOPT_LN_BOBYQA, n);
  if (!opt) return out;
  nlopt_set_lower_bounds(opt, lower.data());
  nlopt_set_upper_bounds(opt, upper.data());
  nlopt_set_min_objective(opt, nlopt_objective, &objective);
  nlopt_set_xtol_rel(opt, xtol);
  nlopt_set_ftol_rel(opt, xtol * 1e-3);
  nlopt_set_maxeval(opt, max_evaluations);
  Vector step(n, 0.3);
  nlopt_set_initial_step(opt, step.data());
  for (unsigned i = 0; i < n; ++i) start[i] = std::clamp(start[i], lower[i], upper[i]);
  double min_value = 0;
  const nlopt_result status = nlopt_optimize(opt, start.data(), &min_value);
  nlopt_destroy(opt);
  out.x = start;
  out.value = objective(out.x.data());
  out.converged = status > 0;
  return out;
}

// Newton steps on the numerical gradient and Hessian, each accepted only when it helps.
void polish(Objective& objective, Optimum& best, const Vector& lower, const Vector& upper) {
  const std::size_t n = best.x.size();
  for (int iteration = 0; iteration < 20 && std::isfinite(best.value); ++iteration) {
    const Vector g = gradient(objective, best.x);
    Matrix neg_h = hessian(objective, best.x), inverse;
    for (auto& row : neg_h) {
      for (auto& v : row) v = -v;
    }
    if (!invert(neg_h, inverse)) break;
    Vector dx(n, 0);
    double size = 0;
    for (std::size_t i = 0; i < n; ++i) {
      for (std::size_t j = 0; j < n; ++j) dx[i] += inverse[i][j] * g[j];
      size = std::max(size, std::fabs(dx[i]));
    }
    bool improved = false;
    for (double shrink = 1; shrink > 1e-3 && !improved; shrink /= 2) {
      Vector trial = best.x;
      for (std::size_t i = 0; i < n; ++i) {
        trial[i] = std::clamp(trial[i] + shrink * dx[i], lower[i], upper[i]);
      }
      const double value = objective(trial.data());
      if (value >= best.value) {
        best.x = trial;
        best.value = value;
        improved = true;
      }
    }
    if (!improved || size < 1e-10) break;
  }
}

}  // namespace

bool invert(Matrix a, Matrix& inverse) {
  const std::size_t n = a.size();
  inverse.assign(n, Vector(n, 0));
  for (std::size_t i = 0; i < n; ++i) inverse[i][i] = 1;
  for (std::size_t col = 0; col < n; ++col) {
    std::size_t pivot = col;
    for (std::size_t r = col + 1; r < n; ++r) {
      if (std::fabs(a[r][col]) > std::fabs(a[pivot][col])) pivot = r;
    }
    if (!(std::fabs(a[pivot][col]) > 1e-300)) return false;
    std::swap(a[pivot], a[col]);
    std::swap(inverse[pivot], inverse[col]);
    const double div = a[col][col];
    for (std::size_t k = 0; k < n; ++k) {
      a[col][k] /= div;
      inverse[col][k] /= div;
    }
    for (std::size_t r = 0; r < n; ++r) {
      if (r == col || a[r][col] == 0) continue;
      const double f = a[r][col];
      for (std::size_t k = 0; k < n; ++k) {
        a[r][k] -= f * a[col][k];
        inverse[r][k] -= f * inverse[col][k];
      }
    }
  }
  return true;
}

Matrix hessian(Objective& objective, const Vector& x) {
  const std::size_t n = x.size();
  Matrix h(n, Vector(n, 0));
  const double f0 = objective(x.data());
  for (std::size_t i = 0; i < n; ++i) {
    const double hi = step_for(x[i]);
    Vector up = x, down = x;
    up[i] += hi;
    down[i] -= hi;
    h[i][i] = (objective(up.data()) - 2 * f0 + objective(down.data())) / (hi * hi);
    for (std::size_t j = 0; j < i; ++j) {
      const double hj = step_for(x[j]);
      auto at = [&](double si, double sj) {
        Vector y = x;
        y[i] += si * hi;
        y[j] += sj * hj;
        return objective(y.data());
      };
      h[i][j] = h[j][i] = (at(1, 1) - at(1, -1) - at(-1, 1) + at(-1, -1)) / (4 * hi * hj);
    }
  }
  return h;
}

bool covariance_from_hessian(const Matrix& hessian, Matrix& covariance) {
  const std::size_t n = hessian.size();
  Matrix neg_h = hessian, inverse;
  for (auto& row : neg_h) {
    for (auto& v : row) v = -v;
  }
  bool positive_definite = invert(neg_h, inverse);
  for (std::size_t i = 0; i < n && positive_definite; ++i) {
    positive_definite = inverse[i][i] > 0;
  }
  covariance = positive_definite ? inverse : Matrix(n, Vector(n, kNaN));
  return positive_definite;
}

Optimum maximise(Objective& objective, const std::vector<Vector>& starts, const Vector& lower,
                 const Vector& upper, int max_evaluations) {
  Optimum best;
  for (const Vector& start : starts) {
    Optimum o = bobyqa(objective, start, lower, upper, 1e-6, max_evaluations);
    if (o.value > best.value) best = o;
  }
  if (!std::isfinite(best.value)) return best;
  Optimum fine = bobyqa(objective, best.x, lower, upper, 1e-11, max_evaluations);
  if (fine.value >= best.value) best = fine;
  polish(objective, best, lower, upper);
  return best;
}

}  // namespace iotcensus::analyze

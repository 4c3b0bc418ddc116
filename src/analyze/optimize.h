// Maximising a smooth function of a few parameters (NLopt BOBYQA from several starts, then Newton
// polishing), and the numerical Hessian and matrix inverse behind observed-information errors.
#pragma once

#include <functional>
#include <limits>
#include <vector>

namespace iotcensus::analyze {

using Vector = std::vector<double>;
using Matrix = std::vector<Vector>;

// The function to maximise, on coordinates of order one; -inf (or NaN) where undefined.
struct Objective {
  std::function<double(const double*)> f;
  int evaluations = 0;
  double operator()(const double* x) {
    ++evaluations;
    return f(x);
  }
};

struct Optimum {
  Vector x;
  double value = -std::numeric_limits<double>::infinity();
  bool converged = false;  // NLopt reported success on the last BOBYQA run
};

// A coarse BOBYQA search (relative tolerance 1e-6) from every start within the bounds, a tight
// one (1e-11) from the best, then Newton steps on numerical derivatives kept only when they
// raise the value. `value` is -inf when no start gave a finite value.
Optimum maximise(Objective& objective, const std::vector<Vector>& starts, const Vector& lower,
                 const Vector& upper, int max_evaluations);

// Central second differences with step 1e-4 max(1, |x_i|) per coordinate.
Matrix hessian(Objective& objective, const Vector& x);

// Inverts a square matrix by Gauss-Jordan elimination with pivoting; false if singular.
bool invert(Matrix a, Matrix& inverse);

// The covariance of the maximiser of a log-likelihood: the inverse of minus its Hessian.
// False (covariance all NaN) when that matrix is singular or has a non-positive diagonal.
bool covariance_from_hessian(const Matrix& hessian, Matrix& covariance);

}  // namespace iotcensus::analyze

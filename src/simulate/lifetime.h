// How long a device lives: exponential, Weibull, log-normal, or a weighted mixture of these.
// Sampled by inverse transform (log-normal by Box-Muller); the CDF is exposed for the KS tests.
#pragma once

#include <string>
#include <vector>

#include "simulate/rng.h"

namespace iotcensus::simulate {

enum class LifetimeKind { kExponential, kWeibull, kLogNormal };

const char* lifetime_kind_name(LifetimeKind kind);

// One distribution of lifetimes in days.
//   exponential: mean_days
//   weibull:     shape, scale_days          (S(t) = exp(-(t/scale)^shape))
//   lognormal:   median_days, sigma         (ln T ~ N(ln median, sigma^2))
struct LifetimeComponent {
  LifetimeKind kind = LifetimeKind::kExponential;
  double weight = 1.0;
  double mean_days = 0;
  double shape = 0;
  double scale_days = 0;
  double median_days = 0;
  double sigma = 0;

  double sample_days(Rng& rng) const;
  double cdf(double days) const;
};

class Lifetime {
 public:
  Lifetime() = default;
  explicit Lifetime(std::vector<LifetimeComponent> components);

  double sample_days(Rng& rng) const;
  double cdf(double days) const;  // P(T <= days)
  const std::vector<LifetimeComponent>& components() const { return components_; }

 private:
  std::vector<LifetimeComponent> components_;
  double total_weight_ = 0;
};

}  // namespace iotcensus::simulate

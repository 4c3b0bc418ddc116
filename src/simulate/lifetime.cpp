// Lifetime sampling: the mixture first picks a component by weight (one uniform draw), then the
// component draws its own value, so the stream use per device is fixed by the scenario alone.

#include "simulate/lifetime.h"

#include <cmath>

namespace iotcensus::simulate {

const char* lifetime_kind_name(LifetimeKind kind) {
  switch (kind) {
    case LifetimeKind::kExponential:
      return "exponential";
    case LifetimeKind::kWeibull:
      return "weibull";
    case LifetimeKind::kLogNormal:
      return "lognormal";
  }
  return "?";
}

double LifetimeComponent::sample_days(Rng& rng) const {
  switch (kind) {
    case LifetimeKind::kExponential:
      return rng.exponential(mean_days);
    case LifetimeKind::kWeibull:
      return scale_days * std::pow(-std::log(rng.unit_open0()), 1.0 / shape);
    case LifetimeKind::kLogNormal:
      return median_days * std::exp(sigma * rng.normal());
  }
  return 0;
}

double LifetimeComponent::cdf(double days) const {
  if (days <= 0) return 0;
  switch (kind) {
    case LifetimeKind::kExponential:
      return 1 - std::exp(-days / mean_days);
    case LifetimeKind::kWeibull:
      return 1 - std::exp(-std::pow(days / scale_days, shape));
    case LifetimeKind::kLogNormal:
      return 0.5 * std::erfc(-(std::log(days / median_days)) / (sigma * std::sqrt(2.0)));
  }
  return 0;
}

Lifetime::Lifetime(std::vector<LifetimeComponent> components) : components_(std::move(components)) {
  for (const auto& c : components_) total_weight_ += c.weight;
}

double Lifetime::sample_days(Rng& rng) const {
  double u = rng.unit() * total_weight_;
  for (const auto& c : components_) {
    if (u < c.weight) return c.sample_days(rng);
    u -= c.weight;
  }
  return components_.back().sample_days(rng);
}

double Lifetime::cdf(double days) const {
  double p = 0;
  for (const auto& c : components_) p += c.weight * c.cdf(days);
  return p / total_weight_;
}

}  // namespace iotcensus::simulate

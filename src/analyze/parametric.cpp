// Parametric survival fits by maximum likelihood (the optimiser of optimize.h), observed-
// information standard errors and model summaries; see parametric.h and docs/lifetimes.md.
#include "analyze/parametric.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <functional>
#include <limits>
#include <tuple>
#include <unordered_map>

namespace iotcensus::analyze {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr double kInf = std::numeric_limits<double>::infinity();
constexpr double kLog2Pi = 1.8378770664093454836;

// The data reduced to what the likelihood needs. The log-likelihood is a sum over subjects of
// log f(t) or log S(t) minus a sum of log S(entry): distinct (time, event) pairs and distinct
// entry times with their multiplicities, so ties cost nothing (10M subjects in whole days have a
// few thousand distinct values of each).
struct Prepared {
  Vector time, log_time, weight;  // distinct (time, event), in (time, event) order
  std::vector<uint8_t> event;
  Vector entry, log_entry, entry_weight;  // distinct entry times > 0, ascending
  double n = 0, events = 0;
  double mean_exposure = 1;  // sum(time - entry) / events: the exponential MLE of the mean
};

// -0 as 0, so that equal values hash equally.
double canonical(double x) {
  return x == 0 ? 0.0 : x;
}

struct TimeEvent {
  double time;
  int event;
  bool operator==(const TimeEvent& o) const { return time == o.time && event == o.event; }
};

uint64_t mix_bits(double x) {
  uint64_t h;
  std::memcpy(&h, &x, sizeof h);
  h ^= h >> 33;
  h *= 0xFF51AFD7ED558CCDull;
  h ^= h >> 33;
  return h;
}

struct TimeEventHash {
  std::size_t operator()(const TimeEvent& k) const {
    return static_cast<std::size_t>(mix_bits(k.time) ^ static_cast<uint64_t>(k.event));
  }
};

struct TimeHash {
  std::size_t operator()(double t) const { return static_cast<std::size_t>(mix_bits(t)); }
};

Prepared prepare(const SurvivalData& data) {
  std::unordered_map<TimeEvent, double, TimeEventHash> counts;
  std::unordered_map<double, double, TimeHash> entries;
  double exposure = 0;
  for (std::size_t i = 0; i < data.size(); ++i) {
    counts[{canonical(data.time[i]), data.event[i]}] += 1;
    const double e = data.entry_of(i);
    if (e > 0) entries[e] += 1;
    exposure += data.time[i] - e;
  }
  std::vector<std::pair<TimeEvent, double>> records(counts.begin(), counts.end());
  std::sort(records.begin(), records.end(), [](const auto& a, const auto& b) {
    return std::tie(a.first.time, a.first.event) < std::tie(b.first.time, b.first.event);
  });
  Prepared p;
  for (const auto& [key, w] : records) {
    p.time.push_back(key.time);
    p.log_time.push_back(key.time > 0 ? std::log(key.time) : -kInf);
    p.event.push_back(static_cast<uint8_t>(key.event));
    p.weight.push_back(w);
    p.n += w;
    if (key.event) p.events += w;
  }
  std::vector<std::pair<double, double>> sorted(entries.begin(), entries.end());
  std::sort(sorted.begin(), sorted.end());
  for (const auto& [e, w] : sorted) {
    p.entry.push_back(e);
    p.log_entry.push_back(std::log(e));
    p.entry_weight.push_back(w);
  }
  p.mean_exposure = exposure / std::max(p.events, 1.0);
  return p;
}

// log P(Z > z) for standard normal Z, accurate far into the tail.
double log_normal_upper(double z) {
  if (z < 30) return std::log(0.5 * std::erfc(z / std::sqrt(2.0)));
  const double z2 = z * z;
  return -0.5 * z2 - std::log(z) - 0.5 * kLog2Pi + std::log1p(-1 / z2 + 3 / (z2 * z2));
}

double log1p_exp(double x) {
  return x > 0 ? x + std::log1p(std::exp(-x)) : std::log1p(std::exp(x));
}

double log_add_exp(double a, double b) {
  if (a == -kInf) return b;
  if (b == -kInf) return a;
  const double m = std::max(a, b);
  return m + std::log1p(std::exp(-std::fabs(a - b)));
}

struct LogPoint {
  double log_f;  // log density of T at t
  double log_s;  // log survival at t
};

// survreg's location-scale models of log T: log T = b + sigma W.
enum class ErrorLaw { kExtremeValue, kNormal, kLogistic };

// One location-scale law with its parameter-derived constants computed once.
struct LocationScale {
  ErrorLaw law = ErrorLaw::kExtremeValue;
  double b = 0, log_sigma = 0, inv_sigma = 1;
  LocationScale() = default;
  LocationScale(ErrorLaw l, double intercept, double log_scale)
      : law(l), b(intercept), log_sigma(log_scale), inv_sigma(std::exp(-log_scale)) {}
  LogPoint at(double log_t) const {
    const double z = (log_t - b) * inv_sigma;
    double log_fw = 0, log_sw = 0;
    switch (law) {
      case ErrorLaw::kExtremeValue: {
        const double ez = std::exp(z);
        log_fw = z - ez;
        log_sw = -ez;
        break;
      }
      case ErrorLaw::kNormal:
        log_fw = -0.5 * z * z - 0.5 * kLog2Pi;
        log_sw = log_normal_upper(z);
        break;
      case ErrorLaw::kLogistic: {
        const double l = log1p_exp(z);
        log_fw = z - 2 * l;
        log_sw = -l;
        break;
      }
    }
    // Density of T = density of W / (sigma t): the time-scale likelihood survreg reports.
    return {log_fw - log_sigma - log_t, log_sw};
  }
};

// A model with its parameters p (in the reported units) unpacked once per likelihood.
class Evaluator {
 public:
  Evaluator(Distribution d, const double* p) : d_(d) {
    switch (d) {
      case Distribution::kExponential:
        first_ = {ErrorLaw::kExtremeValue, p[0], 0.0};
        break;
      case Distribution::kWeibull:
        first_ = {ErrorLaw::kExtremeValue, p[0], p[1]};
        break;
      case Distribution::kLogNormal:
        first_ = {ErrorLaw::kNormal, p[0], p[1]};
        break;
      case Distribution::kLogLogistic:
        first_ = {ErrorLaw::kLogistic, p[0], p[1]};
        break;
      case Distribution::kGompertz:
        log_a_ = p[0];
        a_ = std::exp(p[0]);
        gb_ = p[1];
        break;
      case Distribution::kExponentialMixture:
        set_weight(p[0]);
        log_m1_ = p[1];
        rate1_ = std::exp(-p[1]);
        log_m2_ = p[2];
        rate2_ = std::exp(-p[2]);
        break;
      case Distribution::kWeibullMixture:
        set_weight(p[0]);
        first_ = {ErrorLaw::kExtremeValue, p[1], p[2]};
        second_ = {ErrorLaw::kExtremeValue, p[3], p[4]};
        break;
    }
  }

  LogPoint at(double t, double log_t) const {
    switch (d_) {
      case Distribution::kExponential:
      case Distribution::kWeibull:
      case Distribution::kLogNormal:
      case Distribution::kLogLogistic:
        return first_.at(log_t);
      case Distribution::kGompertz: {
        // Hazard a exp(b t): H(t) = a (exp(b t) - 1) / b.
        const double bt = gb_ * t;
        const double growth = std::fabs(bt) < 1e-8 ? t * (1 + bt / 2) : std::expm1(bt) / gb_;
        const double cumhaz = a_ * growth;
        return {log_a_ + bt - cumhaz, -cumhaz};
      }
      case Distribution::kExponentialMixture:
        // Exponential with mean m: log f = -log m - t/m, log S = -t/m (t = 0 allowed).
        return mix({-log_m1_ - t * rate1_, -t * rate1_}, {-log_m2_ - t * rate2_, -t * rate2_});
      case Distribution::kWeibullMixture:
        return mix(first_.at(log_t), second_.at(log_t));
    }
    return {kNaN, kNaN};
  }

 private:
  void set_weight(double logit_p) {
    log_p_ = -log1p_exp(-logit_p);
    log_q_ = -log1p_exp(logit_p);
  }
  LogPoint mix(const LogPoint& one, const LogPoint& two) const {
    return {log_add_exp(log_p_ + one.log_f, log_q_ + two.log_f),
            log_add_exp(log_p_ + one.log_s, log_q_ + two.log_s)};
  }

  Distribution d_;
  LocationScale first_, second_;
  double log_a_ = 0, a_ = 0, gb_ = 0;
  double log_p_ = 0, log_q_ = 0, log_m1_ = 0, rate1_ = 0, log_m2_ = 0, rate2_ = 0;
};

LogPoint evaluate(Distribution d, const double* p, double t, double log_t) {
  return Evaluator(d, p).at(t, log_t);
}

bool needs_positive_times(Distribution d) {
  return d != Distribution::kGompertz && d != Distribution::kExponentialMixture;
}

double log_likelihood(Distribution d, const Prepared& data, const double* p) {
  const Evaluator model(d, p);
  double sum = 0;
  for (std::size_t i = 0; i < data.time.size(); ++i) {
    const LogPoint at = model.at(data.time[i], data.log_time[i]);
    sum += data.weight[i] * (data.event[i] ? at.log_f : at.log_s);
  }
  // Left truncation: a subject entering at e > 0 is conditioned on S(e).
  double truncation = 0;
  for (std::size_t i = 0; i < data.entry.size(); ++i) {
    truncation += data.entry_weight[i] * model.at(data.entry[i], data.log_entry[i]).log_s;
  }
  sum -= truncation;
  return std::isfinite(sum) ? sum : -kInf;
}

// Natural forms of the parameters, as functions of the fitted parameter vector.
struct NaturalForm {
  std::string name;
  std::function<double(const Vector&)> value;
};

double logistic(double x) {
  return 1 / (1 + std::exp(-x));
}

std::vector<NaturalForm> natural_forms(Distribution d) {
  auto e = [](std::size_t i) { return [i](const Vector& p) { return std::exp(p[i]); }; };
  auto inv_e = [](std::size_t i) { return [i](const Vector& p) { return std::exp(-p[i]); }; };
  auto id = [](std::size_t i) { return [i](const Vector& p) { return p[i]; }; };
  switch (d) {
    case Distribution::kExponential:
      return {{"lambda_", e(0)}, {"rate", inv_e(0)}};
    case Distribution::kWeibull:
      return {{"scale", e(1)}, {"lambda_", e(0)}, {"rho_", inv_e(1)}};
    case Distribution::kLogNormal:
      return {{"scale", e(1)}, {"mu_", id(0)}, {"sigma_", e(1)}};
    case Distribution::kLogLogistic:
      return {{"scale", e(1)}, {"alpha_", e(0)}, {"beta_", inv_e(1)}};
    case Distribution::kGompertz:
      return {{"a", e(0)}};
    case Distribution::kExponentialMixture:
      return {
          {"p", [](const Vector& p) { return logistic(p[0]); }}, {"mean1", e(1)}, {"mean2", e(2)}};
    case Distribution::kWeibullMixture:
      return {{"p", [](const Vector& p) { return logistic(p[0]); }},
              {"lambda1", e(1)},
              {"rho1", inv_e(2)},
              {"lambda2", e(3)},
              {"rho2", inv_e(4)}};
  }
  return {};
}

// Mean of a survreg model from (b, log sigma).
double location_scale_mean(Distribution d, double b, double log_sigma) {
  const double sigma = std::exp(log_sigma);
  switch (d) {
    case Distribution::kExponential:
      return std::exp(b);
    case Distribution::kWeibull:
      return std::exp(b + std::lgamma(1 + sigma));
    case Distribution::kLogNormal:
      return std::exp(b + sigma * sigma / 2);
    case Distribution::kLogLogistic:
      return sigma < 1 ? std::exp(b) * M_PI * sigma / std::sin(M_PI * sigma) : kInf;
    default:
      return kNaN;
  }
}

// Adaptive Simpson integration of f on [a, b].
double simpson(const std::function<double(double)>& f, double a, double b, double fa, double fm,
               double fb, double whole, double tolerance, int depth) {
  const double m = (a + b) / 2, lm = (a + m) / 2, rm = (m + b) / 2;
  const double flm = f(lm), frm = f(rm);
  const double left = (m - a) / 6 * (fa + 4 * flm + fm), right = (b - m) / 6 * (fm + 4 * frm + fb);
  if (depth <= 0 || std::fabs(left + right - whole) <= 15 * tolerance) {
    return left + right + (left + right - whole) / 15;
  }
  return simpson(f, a, m, fa, flm, fm, left, tolerance / 2, depth - 1) +
         simpson(f, m, b, fm, frm, fb, right, tolerance / 2, depth - 1);
}

double integrate(const std::function<double(double)>& f, double a, double b, double tolerance) {
  const double fa = f(a), fb = f(b), fm = f((a + b) / 2);
  return simpson(f, a, b, fa, fm, fb, (b - a) / 6 * (fa + 4 * fm + fb), tolerance, 40);
}

// Integral of S from t to infinity over doubling intervals; +inf when it does not settle.
double survival_integral(const ParametricFit& fit, double t, double length) {
  const auto s = [&](double u) { return fitted_survival(fit, u); };
  const double s0 = s(t);
  if (s0 <= 0) return 0;
  double total = 0, from = t, width = length;
  for (int k = 0; k < 200; ++k) {
    const double part = integrate(s, from, from + width, 1e-12 * std::max(total, s0 * width));
    total += part;
    from += width;
    width *= 2;
    if (s(from) < 1e-15 * s0 && part < 1e-13 * total) return total;
  }
  return kInf;
}

double solve_half_life(const ParametricFit& fit) {
  double hi = std::isfinite(fit.mean_life) && fit.mean_life > 0 ? fit.mean_life : 1.0;
  for (int k = 0; k < 2000 && fitted_survival(fit, hi) > 0.5; ++k) hi *= 2;
  if (fitted_survival(fit, hi) > 0.5) return kNaN;
  double lo = 0;
  for (int k = 0; k < 200; ++k) {
    const double mid = (lo + hi) / 2;
    if (fitted_survival(fit, mid) > 0.5)
      lo = mid;
    else
      hi = mid;
  }
  return (lo + hi) / 2;
}

std::vector<Vector> starting_points(Distribution d, double b0) {
  switch (d) {
    case Distribution::kExponential:
      return {{b0}};
    case Distribution::kWeibull:
    case Distribution::kLogNormal:
    case Distribution::kLogLogistic:
      return {{b0, 0.0}, {b0 - 0.5, 0.5}};
    case Distribution::kGompertz:
      return {{-b0, 0.0}, {-b0 - 0.5, 0.5}, {-b0 + 0.5, -0.5}};
    case Distribution::kExponentialMixture: {
      std::vector<Vector> starts;
      for (double logit : {0.0, -1.5, 1.5}) {
        for (double spread : {1.0, 2.5}) starts.push_back({logit, b0 - spread, b0 + spread / 2});
      }
      return starts;
    }
    case Distribution::kWeibullMixture: {
      return {{0.0, b0 - 1.5, 0.3, b0 + 0.5, -0.3}, {1.0, b0 - 2.5, 0.5, b0 + 1, -0.5}};
    }
  }
  return {};
}

}  // namespace

const char* distribution_name(Distribution d) {
  switch (d) {
    case Distribution::kExponential:
      return "exponential";
    case Distribution::kWeibull:
      return "weibull";
    case Distribution::kLogNormal:
      return "lognormal";
    case Distribution::kLogLogistic:
      return "loglogistic";
    case Distribution::kGompertz:
      return "gompertz";
    case Distribution::kExponentialMixture:
      return "exponential-mixture";
    case Distribution::kWeibullMixture:
      return "weibull-mixture";
  }
  return "unknown";
}

std::vector<Distribution> all_distributions() {
  return {Distribution::kExponential,   Distribution::kWeibull,  Distribution::kLogNormal,
          Distribution::kLogLogistic,   Distribution::kGompertz, Distribution::kExponentialMixture,
          Distribution::kWeibullMixture};
}

core::Result<Distribution> parse_distribution(const std::string& name) {
  for (Distribution d : all_distributions()) {
    if (name == distribution_name(d)) return d;
  }
  return core::make_error(core::ErrorCode::kUsage,
                          "unknown model '" + name +
                              "' (exponential, weibull, lognormal, loglogistic, gompertz, "
                              "exponential-mixture, weibull-mixture)");
}

double parameter(const ParametricFit& fit, const std::string& name) {
  for (const auto& p : fit.parameters) {
    if (p.name == name) return p.estimate;
  }
  for (const auto& p : fit.natural) {
    if (p.name == name) return p.estimate;
  }
  return kNaN;
}

int parameter_count(Distribution d) {
  switch (d) {
    case Distribution::kExponential:
      return 1;
    case Distribution::kExponentialMixture:
      return 3;
    case Distribution::kWeibullMixture:
      return 5;
    default:
      return 2;
  }
}

std::vector<std::string> parameter_names(Distribution d) {
  switch (d) {
    case Distribution::kExponential:
      return {"intercept"};
    case Distribution::kWeibull:
    case Distribution::kLogNormal:
    case Distribution::kLogLogistic:
      return {"intercept", "log_scale"};
    case Distribution::kGompertz:
      return {"log_a", "b"};
    case Distribution::kExponentialMixture:
      return {"logit_p", "log_mean1", "log_mean2"};
    case Distribution::kWeibullMixture:
      return {"logit_p", "intercept1", "log_scale1", "intercept2", "log_scale2"};
  }
  return {};
}

double model_survival(Distribution d, const double* p, double t) {
  if (t <= 0) return 1;
  return std::exp(evaluate(d, p, t, std::log(t)).log_s);
}

void model_survival_grid(Distribution d, const double* p, double first, double step,
                         std::vector<double>& out) {
  const Evaluator model(d, p);
  for (std::size_t i = 0; i < out.size(); ++i) {
    const double t = first + step * static_cast<double>(i);
    out[i] = t <= 0 ? 1.0 : std::exp(model.at(t, std::log(t)).log_s);
  }
}

SearchSpace search_space(Distribution d, double typical_life) {
  const double b0 = std::log(typical_life);
  const int k = parameter_count(d);
  const auto ku = static_cast<std::size_t>(k);
  SearchSpace space;
  space.scale.assign(ku, 1.0);
  space.lower.resize(ku);
  space.upper.resize(ku);
  const std::vector<std::string> names = parameter_names(d);
  for (std::size_t u = 0; u < ku; ++u) {
    const std::string& name = names[u];
    if (name.rfind("log_scale", 0) == 0) {
      space.lower[u] = -7, space.upper[u] = 5;
    } else if (name == "logit_p") {
      space.lower[u] = -25, space.upper[u] = 25;
    } else {
      space.lower[u] = b0 - 40, space.upper[u] = b0 + 40;
    }
  }
  if (d == Distribution::kGompertz) {
    // x = (log a, b * unit) with unit the typical lifetime, so both are of order one.
    space.scale = {1.0, 1.0 / typical_life};
    space.lower = {-b0 - 40, -60};
    space.upper = {-b0 + 40, 60};
  }
  space.starts = starting_points(d, b0);
  return space;
}

void order_components(Distribution d, Vector& p) {
  if (d == Distribution::kExponentialMixture && p[1] > p[2]) {
    p = {-p[0], p[2], p[1]};
  } else if (d == Distribution::kWeibullMixture && p[1] > p[3]) {
    p = {-p[0], p[3], p[4], p[1], p[2]};
  }
}

double fitted_survival(const ParametricFit& fit, double t) {
  if (t <= 0) return 1;
  Vector p;
  for (const auto& q : fit.parameters) p.push_back(q.estimate);
  return model_survival(fit.distribution, p.data(), t);
}
double fitted_hazard(const ParametricFit& fit, double t) {
  Vector p;
  for (const auto& q : fit.parameters) p.push_back(q.estimate);
  const LogPoint at = evaluate(fit.distribution, p.data(), t, t > 0 ? std::log(t) : -kInf);
  return std::exp(at.log_f - at.log_s);
}

double mean_residual_life(const ParametricFit& fit, double t) {
  if (t <= 0) return fit.mean_life;
  if (!std::isfinite(fit.mean_life)) return kInf;
  const double s = fitted_survival(fit, t);
  if (s <= 0) return kNaN;
  const double length = std::isfinite(fit.half_life) ? fit.half_life : std::max(fit.mean_life, 1.0);
  return survival_integral(fit, t, length) / s;
}

ParametricFit describe_fit(Distribution distribution, const Vector& p, const Matrix& covariance) {
  ParametricFit fit;
  fit.distribution = distribution;
  const std::size_t ku = p.size();
  fit.n_parameters = static_cast<int>(ku);
  fit.covariance = covariance;
  const std::vector<std::string> names = parameter_names(distribution);
  for (std::size_t i = 0; i < ku; ++i) {
    fit.parameters.push_back({names[i], p[i], std::sqrt(fit.covariance[i][i])});
  }
  for (const NaturalForm& form : natural_forms(distribution)) {
    const double value = form.value(p);
    double var = 0;
    Vector g(ku);
    for (std::size_t i = 0; i < ku; ++i) {
      Vector up = p, down = p;
      const double h = 1e-6 * std::max(1.0, std::fabs(p[i]));
      up[i] += h;
      down[i] -= h;
      g[i] = (form.value(up) - form.value(down)) / (2 * h);
    }
    for (std::size_t i = 0; i < ku; ++i) {
      for (std::size_t j = 0; j < ku; ++j) var += g[i] * fit.covariance[i][j] * g[j];
    }
    fit.natural.push_back({form.name, value, std::sqrt(var)});
  }

  // Mean lifetime and half-life.
  switch (distribution) {
    case Distribution::kExponential:
    case Distribution::kWeibull:
    case Distribution::kLogNormal:
    case Distribution::kLogLogistic: {
      const double log_sigma = ku > 1 ? p[1] : 0.0;
      fit.mean_life = location_scale_mean(distribution, p[0], log_sigma);
      // Median of W: log(log 2) for the extreme-value law, 0 for the symmetric ones.
      const bool ev =
          distribution == Distribution::kExponential || distribution == Distribution::kWeibull;
      fit.half_life = std::exp(p[0] + std::exp(log_sigma) * (ev ? std::log(std::log(2.0)) : 0.0));
      break;
    }
    case Distribution::kGompertz: {
      const double a = std::exp(p[0]), b = p[1];
      const double arg = b * std::log(2.0) / a;
      fit.half_life =
          std::fabs(b) < 1e-300 ? std::log(2.0) / a : (arg > -1 ? std::log1p(arg) / b : kNaN);
      if (b < 0) {
        fit.mean_life = kInf;  // a share a/|b| of the hazard is never spent: S(inf) > 0
      } else {
        fit.mean_life = 1;  // placeholder so the integral can use it as a length scale
        fit.mean_life =
            survival_integral(fit, 0, std::isfinite(fit.half_life) ? fit.half_life : 1 / a);
      }
      break;
    }
    case Distribution::kExponentialMixture: {
      const double w = logistic(p[0]);
      fit.mean_life = w * std::exp(p[1]) + (1 - w) * std::exp(p[2]);
      fit.half_life = solve_half_life(fit);
      break;
    }
    case Distribution::kWeibullMixture: {
      const double w = logistic(p[0]);
      fit.mean_life = w * location_scale_mean(Distribution::kWeibull, p[1], p[2]) +
                      (1 - w) * location_scale_mean(Distribution::kWeibull, p[3], p[4]);
      fit.half_life = solve_half_life(fit);
      break;
    }
  }
  return fit;
}

namespace {

// Fits one model to records already merged (fit_and_rank merges once for every model).
core::Result<ParametricFit> fit_prepared(const Prepared& prepared, const std::string& where,
                                         Distribution distribution, const FitOptions& options) {
  if (prepared.events == 0) {
    return core::make_error(core::ErrorCode::kUsage, where + ": no events, nothing to fit");
  }
  if (needs_positive_times(distribution)) {
    for (double t : prepared.time) {
      if (!(t > 0)) {
        return core::make_error(core::ErrorCode::kUsage,
                                where + ": " + distribution_name(distribution) +
                                    " needs times > 0 (found " + std::to_string(t) + ")");
      }
    }
  }
  const int k = parameter_count(distribution);
  const auto ku = static_cast<std::size_t>(k);
  // The optimiser works on x = p / scale so that every coordinate is of order one.
  SearchSpace space = search_space(distribution, prepared.mean_exposure);
  Vector p(ku);
  Objective loglik{[&](const double* x) {
    for (std::size_t i = 0; i < ku; ++i) p[i] = x[i] * space.scale[i];
    return log_likelihood(distribution, prepared, p.data());
  }};
  if (distribution == Distribution::kWeibullMixture) {
    // Begin where the exponential mixture (shape 1 in both parts) ends.
    auto exp_mix = fit_prepared(prepared, where, Distribution::kExponentialMixture, options);
    if (exp_mix) {
      const auto& q = exp_mix->parameters;
      space.starts.insert(space.starts.begin(),
                          {q[0].estimate, q[1].estimate, 0.0, q[2].estimate, 0.0});
    }
  }
  Optimum best = maximise(loglik, space.starts, space.lower, space.upper, options.max_evaluations);
  if (!std::isfinite(best.value)) {
    return core::make_error(core::ErrorCode::kUsage,
                            where + ": " + distribution_name(distribution) + " fit failed");
  }
  // Put the shorter-lived mixture component first (the scale is 1 for mixtures: x = p).
  order_components(distribution, best.x);

  const double ll = loglik(best.x.data());
  Matrix cov_x;
  const bool positive_definite = covariance_from_hessian(hessian(loglik, best.x), cov_x);
  Matrix covariance(ku, Vector(ku, kNaN));
  for (std::size_t i = 0; i < ku; ++i) {
    p[i] = best.x[i] * space.scale[i];
    for (std::size_t j = 0; j < ku; ++j) {
      if (positive_definite) covariance[i][j] = cov_x[i][j] * space.scale[i] * space.scale[j];
    }
  }
  ParametricFit fit = describe_fit(distribution, p, covariance);
  fit.n = static_cast<int64_t>(prepared.n);
  fit.events = static_cast<int64_t>(prepared.events);
  fit.log_likelihood = ll;
  fit.aic = -2 * fit.log_likelihood + 2 * k;
  fit.bic = -2 * fit.log_likelihood + k * std::log(prepared.n);
  fit.converged = best.converged && positive_definite;
  return fit;
}

core::Result<Prepared> checked(const SurvivalData& data, const std::string& where) {
  if (auto ok = validate(data); !ok) return ok.error();
  if (data.size() == 0) return core::make_error(core::ErrorCode::kUsage, where + ": no subjects");
  return prepare(data);
}

}  // namespace

core::Result<ParametricFit> fit_parametric(const SurvivalData& data, Distribution distribution,
                                           const FitOptions& options) {
  const std::string where = data.source.empty() ? "survival data" : data.source;
  auto prepared = checked(data, where);
  if (!prepared) return prepared.error();
  return fit_prepared(*prepared, where, distribution, options);
}

std::vector<ParametricFit> fit_and_rank(const SurvivalData& data,
                                        const std::vector<Distribution>& models,
                                        const FitOptions& options) {
  std::vector<ParametricFit> fits;
  const std::string where = data.source.empty() ? "survival data" : data.source;
  auto prepared = checked(data, where);
  if (!prepared) return fits;
  for (Distribution d : models) {
    auto fit = fit_prepared(*prepared, where, d, options);
    if (fit) fits.push_back(std::move(*fit));
  }
  std::stable_sort(fits.begin(), fits.end(),
                   [](const ParametricFit& a, const ParametricFit& b) { return a.aic < b.aic; });
  return fits;
}

}  // namespace iotcensus::analyze

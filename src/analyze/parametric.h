// Maximum-likelihood parametric survival models with right censoring and left truncation:
// exponential, Weibull, log-normal, log-logistic (R survreg's form), Gompertz, two-part mixtures.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "analyze/optimize.h"

#include "analyze/survival_data.h"
#include "core/error.h"

namespace iotcensus::analyze {

enum class Distribution {
  kExponential,         // S = exp(-t / lambda)
  kWeibull,             // S = exp(-(t / lambda)^rho)
  kLogNormal,           // log T ~ Normal(mu, sigma)
  kLogLogistic,         // S = 1 / (1 + (t / alpha)^beta)
  kGompertz,            // hazard a * exp(b t); b < 0 lets a share live for ever
  kExponentialMixture,  // S = p exp(-t / m1) + (1 - p) exp(-t / m2), m1 <= m2
  kWeibullMixture,      // S = p S_weibull1 + (1 - p) S_weibull2, lambda1 <= lambda2
};

const char* distribution_name(Distribution d);  // "exponential", "weibull", ...
// Parses a name as distribution_name prints it. kUsage error for unknown names.
core::Result<Distribution> parse_distribution(const std::string& name);
// All seven, in the order above.
std::vector<Distribution> all_distributions();

struct Parameter {
  std::string name;
  double estimate = 0;
  double std_error = 0;  // NaN when the information matrix is not invertible
};

struct ParametricFit {
  Distribution distribution = Distribution::kExponential;
  // The parameters the likelihood is maximised over, with standard errors from the inverted
  // observed information (numerical Hessian). For the four survreg models these are survreg's
  // `(Intercept)` (log of the time scale) and `Log(scale)` (absent for the exponential).
  std::vector<Parameter> parameters;
  std::vector<std::vector<double>> covariance;  // of `parameters`
  // The same fit in other common forms (survreg "scale"; lifelines lambda_/rho_, mu_/sigma_,
  // alpha_/beta_; mixture weight and component scales), SEs by the delta method.
  std::vector<Parameter> natural;
  double log_likelihood = 0;  // on the time scale (density of T, not of log T), as survreg
  int n_parameters = 0;
  int64_t n = 0;
  int64_t events = 0;
  double aic = 0;        // -2 loglik + 2 k
  double bic = 0;        // -2 loglik + k log(n), n = subjects
  double half_life = 0;  // t with S(t) = 0.5; NaN when S never falls to 0.5
  double mean_life = 0;  // mean residual life at 0 (the mean lifetime); +inf when not finite
  bool converged = false;
  double time_unit = 1;  // internal rescaling of time (Gompertz), kept to evaluate the fit
};

// Survival, hazard and mean residual life E[T - t | T > t] of a fitted model.
double fitted_survival(const ParametricFit& fit, double t);
double fitted_hazard(const ParametricFit& fit, double t);
double mean_residual_life(const ParametricFit& fit, double t);
// The estimate of a parameter in `parameters` or `natural` by name (NaN when absent).
double parameter(const ParametricFit& fit, const std::string& name);

// The parameters a model is fitted over, named and ordered as in ParametricFit::parameters.
int parameter_count(Distribution d);
std::vector<std::string> parameter_names(Distribution d);

// S(t) of model d at parameters p (ParametricFit::parameters order; 1 for t <= 0): the one
// formula behind every fit, fitted_survival and the population curves.
double model_survival(Distribution d, const double* p, double t);
// S(first), S(first + step), ... into every element of `out`, unpacking p once.
void model_survival_grid(Distribution d, const double* p, double first, double step,
                         std::vector<double>& out);

// Where the fits search, for data whose typical lifetime is about `typical_life`: bounds and
// starting points on the optimiser's coordinates x, and the scale with p = x * scale.
struct SearchSpace {
  std::vector<Vector> starts;
  Vector lower, upper, scale;
};
SearchSpace search_space(Distribution d, double typical_life);

// Mixtures: puts the shorter-lived component first (swaps components, negates logit_p).
void order_components(Distribution d, Vector& p);

// The fit of model d at parameters p with their covariance (from any estimator): parameters
// with standard errors, natural forms with delta-method errors, half_life and mean_life. The
// caller fills log_likelihood, n_parameters, n, events, aic, bic and converged.
ParametricFit describe_fit(Distribution d, const Vector& p, const Matrix& covariance);

struct FitOptions {
  int max_evaluations = 20000;
};

// Fits one model. Errors (kUsage): no subjects, no events, or non-positive times for the
// log-time models (survreg refuses them too).
core::Result<ParametricFit> fit_parametric(const SurvivalData& data, Distribution distribution,
                                           const FitOptions& options = {});

// Fits each model in `models`, skipping those that fail, and returns them best AIC first.
std::vector<ParametricFit> fit_and_rank(const SurvivalData& data,
                                        const std::vector<Distribution>& models,
                                        const FitOptions& options = {});

}  // namespace iotcensus::analyze

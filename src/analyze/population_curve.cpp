// Population curves by least squares on the integer day grid: S is tabulated once per
// evaluation and convolved with the births directly; see population_curve.h.
#include "analyze/population_curve.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <optional>

namespace iotcensus::analyze {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr double kInf = std::numeric_limits<double>::infinity();

// sum over s in [first, last] of births[s] * s_grid[t - s], all indices on the day grid.
double convolve_at(const double* births, int64_t first, int64_t last, const double* s_grid,
                   int64_t t) {
  // Four partial sums so the additions do not wait on each other.
  double a0 = 0, a1 = 0, a2 = 0, a3 = 0;
  int64_t s = first;
  for (; s + 3 <= last; s += 4) {
    a0 += births[s] * s_grid[t - s];
    a1 += births[s + 1] * s_grid[t - s - 1];
    a2 += births[s + 2] * s_grid[t - s - 2];
    a3 += births[s + 3] * s_grid[t - s - 3];
  }
  for (; s <= last; ++s) a0 += births[s] * s_grid[t - s];
  return (a0 + a1) + (a2 + a3);
}

// The two series on one day grid: index 0 is the first day with births.
struct Grid {
  int64_t origin = 0;                       // day of index 0
  std::vector<double> births;               // births per day, index 0 .. last birth used
  int64_t first_birth = 0, last_birth = 0;  // indices of the first and last nonzero births
  std::vector<int64_t> at;                  // grid index of each population day
  std::vector<double> count;                // the population counts
  int64_t max_age = 0;                      // the oldest age the fit needs
  double total_births = 0;
};

core::Result<Grid> make_grid(const DailySeries& population, const DailySeries& births,
                             int64_t until_day) {
  const std::string where = population.source.empty() ? "population series" : population.source;
  if (population.size() == 0) return core::make_error(core::ErrorCode::kUsage, where + ": no days");
  if (births.size() > 0 && population.dates != births.dates) {
    return core::make_error(
        core::ErrorCode::kUsage,
        where + " and " + births.source + ": one gives dates and the other day numbers");
  }
  Grid g;
  bool any = false;
  for (std::size_t i = 0; i < births.size(); ++i) {
    if (births.value[i] > 0 && births.day[i] <= until_day) {
      if (!any) g.origin = births.day[i];
      any = true;
    }
  }
  if (!any) {
    return core::make_error(core::ErrorCode::kUsage,
                            where + ": no births on or before its last day (" +
                                format_day(until_day, population.dates) + ")");
  }
  g.births.assign(static_cast<std::size_t>(until_day - g.origin + 1), 0.0);
  for (std::size_t i = 0; i < births.size(); ++i) {
    if (births.day[i] < g.origin || births.day[i] > until_day) continue;
    g.births[static_cast<std::size_t>(births.day[i] - g.origin)] = births.value[i];
    g.total_births += births.value[i];
  }
  g.first_birth = 0;
  g.last_birth = static_cast<int64_t>(g.births.size()) - 1;
  while (g.births[static_cast<std::size_t>(g.last_birth)] == 0) --g.last_birth;
  for (std::size_t i = 0; i < population.size(); ++i) {
    g.at.push_back(population.day[i] - g.origin);
    g.count.push_back(population.value[i]);
  }
  g.max_age = std::max<int64_t>(0, g.at.back());
  return g;
}

// Model counts (c = 1) on the population days, from S tabulated on ages 0 .. max_age.
void model_counts(const Grid& g, const std::vector<double>& s_grid, std::vector<double>& out) {
  out.resize(g.at.size());
  for (std::size_t i = 0; i < g.at.size(); ++i) {
    const int64_t t = g.at[i];
    out[i] = t < 0 ? 0.0
                   : convolve_at(g.births.data(), g.first_birth, std::min(t, g.last_birth),
                                 s_grid.data(), t);
  }
}

struct Fitted {
  double rss = kInf;
  double share = 1;
};

// Residual sum of squares of counts `model` scaled by c (the least-squares c when c < 0).
Fitted least_squares(const Grid& g, const std::vector<double>& model, double c) {
  Fitted f;
  if (c < 0) {
    double yn = 0, nn = 0;
    for (std::size_t i = 0; i < model.size(); ++i) {
      yn += g.count[i] * model[i];
      nn += model[i] * model[i];
    }
    if (!(nn > 0)) return f;
    c = yn / nn;
  }
  double rss = 0;
  for (std::size_t i = 0; i < model.size(); ++i) {
    const double r = g.count[i] - c * model[i];
    rss += r * r;
  }
  f.rss = rss;
  f.share = c;
  return f;
}

double gaussian_loglik(double rss, double n) {
  if (!std::isfinite(rss)) return -kInf;
  return -0.5 * n * (std::log(2 * M_PI * std::max(rss, 1e-300) / n) + 1);
}

// Evaluates the profile log-likelihood of one model on one grid, reusing its buffers.
class Evaluation {
 public:
  Evaluation(const Grid& grid, Distribution d) : grid_(grid), d_(d) {
    s_grid_.resize(static_cast<std::size_t>(grid.max_age + 1));
  }
  // c < 0: the least-squares c; otherwise that c.
  Fitted fit(const double* p, double c) {
    model_survival_grid(d_, p, 0.0, 1.0, s_grid_);
    for (double v : s_grid_) {
      if (!std::isfinite(v)) return {};
    }
    model_counts(grid_, s_grid_, model_);
    return least_squares(grid_, model_, c);
  }
  const std::vector<double>& model() const { return model_; }

 private:
  const Grid& grid_;
  Distribution d_;
  std::vector<double> s_grid_, model_;
};

// The mean lifetime whose exponential curve fits best, by a search over a log grid: where the
// other models' searches are centred.
double typical_life(const Grid& g, bool fit_share) {
  Evaluation e(g, Distribution::kExponential);
  double best_life = 365, best_rss = kInf;
  for (double log_life = std::log(0.5); log_life < std::log(1e6); log_life += 0.25) {
    const double rss = e.fit(&log_life, fit_share ? -1.0 : 1.0).rss;
    if (rss < best_rss) {
      best_rss = rss;
      best_life = std::exp(log_life);
    }
  }
  return best_life;
}

core::Result<PopulationCurveFit> fit_on_grid(const Grid& g, const DailySeries& population,
                                             Distribution d, const PopulationCurveOptions& options,
                                             double life, const std::vector<Vector>& extra_starts) {
  const std::string where = population.source.empty() ? "population series" : population.source;
  const int k = parameter_count(d);
  const auto ku = static_cast<std::size_t>(k);
  const int total_k = k + (options.fit_share ? 1 : 0) + 1;
  const double n = static_cast<double>(g.count.size());
  if (g.count.size() < static_cast<std::size_t>(total_k + 1)) {
    return core::make_error(core::ErrorCode::kUsage, where + ": " + std::to_string(g.count.size()) +
                                                         " days are too few for " +
                                                         distribution_name(d) + " (" +
                                                         std::to_string(total_k) + " parameters)");
  }
  const SearchSpace space = search_space(d, life);
  Evaluation e(g, d);
  Vector p(ku);
  const double fixed_c = options.fit_share ? -1.0 : 1.0;
  Objective profile{[&](const double* x) {
    for (std::size_t i = 0; i < ku; ++i) p[i] = x[i] * space.scale[i];
    return gaussian_loglik(e.fit(p.data(), fixed_c).rss, n);
  }};
  std::vector<Vector> starts = extra_starts;
  starts.insert(starts.end(), space.starts.begin(), space.starts.end());
  Optimum best = maximise(profile, starts, space.lower, space.upper, options.max_evaluations);
  if (!std::isfinite(best.value)) {
    return core::make_error(core::ErrorCode::kUsage,
                            where + ": " + distribution_name(d) + " population curve fit failed");
  }
  Vector estimate(ku);
  for (std::size_t i = 0; i < ku; ++i) estimate[i] = best.x[i] * space.scale[i];
  order_components(d, estimate);
  for (std::size_t i = 0; i < ku; ++i) best.x[i] = estimate[i] / space.scale[i];
  const Fitted at = e.fit(estimate.data(), fixed_c);

  // Observed information over (x, log c), c no longer profiled out.
  Vector full = best.x;
  if (options.fit_share) full.push_back(std::log(at.share));
  Objective joint{[&](const double* x) {
    for (std::size_t i = 0; i < ku; ++i) p[i] = x[i] * space.scale[i];
    return gaussian_loglik(e.fit(p.data(), options.fit_share ? std::exp(x[ku]) : 1.0).rss, n);
  }};
  Matrix cov_x;
  const bool positive_definite = covariance_from_hessian(hessian(joint, full), cov_x);
  const std::size_t m = full.size();
  Matrix covariance(m, Vector(m, kNaN));
  Matrix survival_cov(ku, Vector(ku, kNaN));
  for (std::size_t i = 0; i < m; ++i) {
    const double si = i < ku ? space.scale[i] : 1.0;
    for (std::size_t j = 0; j < m; ++j) {
      const double sj = j < ku ? space.scale[j] : 1.0;
      covariance[i][j] = cov_x[i][j] * si * sj;
      if (i < ku && j < ku) survival_cov[i][j] = covariance[i][j];
    }
  }

  PopulationCurveFit fit;
  fit.survival = describe_fit(d, estimate, survival_cov);
  fit.share_fitted = options.fit_share;
  fit.share = at.share;
  fit.share_std_error = options.fit_share ? at.share * std::sqrt(covariance[ku][ku]) : kNaN;
  fit.rss = at.rss;
  fit.sigma = std::sqrt(at.rss / n);
  fit.log_likelihood = gaussian_loglik(at.rss, n);
  fit.n_parameters = total_k;
  fit.n = static_cast<int64_t>(g.count.size());
  fit.aic = -2 * fit.log_likelihood + 2 * total_k;
  fit.bic = -2 * fit.log_likelihood + total_k * std::log(n);
  fit.converged = best.converged && positive_definite;
  fit.covariance = covariance;
  fit.fitted = e.model();
  for (double& v : fit.fitted) v *= at.share;
  fit.survival.log_likelihood = fit.log_likelihood;
  fit.survival.aic = fit.aic;
  fit.survival.bic = fit.bic;
  fit.survival.n_parameters = fit.n_parameters;
  fit.survival.n = fit.n;
  fit.survival.events = static_cast<int64_t>(std::llround(g.total_births));
  fit.survival.converged = fit.converged;
  return fit;
}

// Weibull mixture: also start where the exponential mixture ends (shape 1 in both parts).
std::vector<Vector> starts_from(const PopulationCurveFit* exp_mix) {
  if (!exp_mix) return {};
  const auto& q = exp_mix->survival.parameters;
  return {{q[0].estimate, q[1].estimate, 0.0, q[2].estimate, 0.0}};
}

}  // namespace

Vector PopulationCurveFit::estimates() const {
  Vector v;
  for (const auto& q : survival.parameters) v.push_back(q.estimate);
  if (share_fitted) v.push_back(std::log(share));
  return v;
}

core::Result<PopulationCurveFit> fit_population_curve(const DailySeries& population,
                                                      const DailySeries& births,
                                                      Distribution distribution,
                                                      const PopulationCurveOptions& options) {
  if (population.size() == 0) {
    return core::make_error(
        core::ErrorCode::kUsage,
        (population.source.empty() ? "population series" : population.source) + ": no days");
  }
  auto grid = make_grid(population, births, population.day.back());
  if (!grid) return grid.error();
  const double life = typical_life(*grid, options.fit_share);
  std::vector<Vector> extra;
  core::Result<PopulationCurveFit> exp_mix = core::make_error(core::ErrorCode::kUsage, "");
  if (distribution == Distribution::kWeibullMixture) {
    exp_mix = fit_on_grid(*grid, population, Distribution::kExponentialMixture, options, life, {});
    if (exp_mix) extra = starts_from(&*exp_mix);
  }
  return fit_on_grid(*grid, population, distribution, options, life, extra);
}

std::vector<PopulationCurveFit> fit_population_curves(const DailySeries& population,
                                                      const DailySeries& births,
                                                      const std::vector<Distribution>& models,
                                                      const PopulationCurveOptions& options) {
  std::vector<PopulationCurveFit> fits;
  if (population.size() == 0) return fits;
  auto grid = make_grid(population, births, population.day.back());
  if (!grid) return fits;
  const double life = typical_life(*grid, options.fit_share);
  // The exponential mixture first: the Weibull mixture starts from it.
  std::vector<Distribution> order = models;
  std::stable_partition(order.begin(), order.end(),
                        [](Distribution d) { return d == Distribution::kExponentialMixture; });
  std::optional<PopulationCurveFit> exp_mix;
  for (Distribution d : order) {
    std::vector<Vector> extra;
    if (d == Distribution::kWeibullMixture) {
      if (!exp_mix) {
        auto e =
            fit_on_grid(*grid, population, Distribution::kExponentialMixture, options, life, {});
        if (e) exp_mix = *e;
      }
      extra = starts_from(exp_mix ? &*exp_mix : nullptr);
    }
    auto fit = fit_on_grid(*grid, population, d, options, life, extra);
    if (!fit) continue;
    if (d == Distribution::kExponentialMixture) exp_mix = *fit;
    fits.push_back(std::move(*fit));
  }
  std::stable_sort(
      fits.begin(), fits.end(),
      [](const PopulationCurveFit& a, const PopulationCurveFit& b) { return a.aic < b.aic; });
  return fits;
}

double population_count(Distribution distribution, const Vector& estimates, bool share_fitted,
                        const DailySeries& births, int64_t day) {
  const double c = share_fitted ? std::exp(estimates.back()) : 1.0;
  double sum = 0;
  for (std::size_t i = 0; i < births.size() && births.day[i] <= day; ++i) {
    if (births.value[i] == 0) continue;
    sum += births.value[i] *
           model_survival(distribution, estimates.data(), static_cast<double>(day - births.day[i]));
  }
  return c * sum;
}

std::vector<PopulationModelRank> rank_population_models(
    const LinearDecline* line, const std::vector<PopulationCurveFit>& curves) {
  std::vector<PopulationModelRank> rows;
  if (line)
    rows.push_back({"linear", line->n_parameters, line->log_likelihood, line->aic, line->bic, 0});
  for (const auto& c : curves) {
    rows.push_back(
        {distribution_name(c.distribution()), c.n_parameters, c.log_likelihood, c.aic, c.bic, 0});
  }
  std::stable_sort(
      rows.begin(), rows.end(),
      [](const PopulationModelRank& a, const PopulationModelRank& b) { return a.aic < b.aic; });
  for (auto& r : rows) r.delta_aic = r.aic - rows.front().aic;
  return rows;
}

}  // namespace iotcensus::analyze

// Kaplan-Meier and Nelson-Aalen estimates with Greenwood variances and R's interval rules;
// formulas are the textbook ones, conventions follow R survival's survfit (see docs/lifetimes.md).
#include "analyze/kaplan_meier.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <unordered_map>

namespace iotcensus::analyze {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr double kInf = std::numeric_limits<double>::infinity();

// Hash of a time by its bits (callers store -0 as 0, so equal times hash equally).
struct TimeHash {
  std::size_t operator()(double t) const {
    uint64_t h;
    std::memcpy(&h, &t, sizeof h);
    h ^= h >> 33;
    h *= 0xFF51AFD7ED558CCDull;
    h ^= h >> 33;
    return static_cast<std::size_t>(h);
  }
};

// First point where curve y (over times x) is <= level; NaN values are skipped, repeats of a
// value are collapsed to its first time, and an exact hit on a flat stretch gives the midpoint.
double first_crossing(const std::vector<double>& x, const std::vector<double>& y, double level) {
  const double tolerance = std::sqrt(std::numeric_limits<double>::epsilon());
  std::vector<double> xs, ys;
  for (std::size_t i = 0; i < x.size(); ++i) {
    if (std::isnan(y[i])) continue;
    if (!ys.empty() && ys.back() == y[i]) continue;
    xs.push_back(x[i]);
    ys.push_back(y[i]);
  }
  for (std::size_t k = 0; k < ys.size(); ++k) {
    if (ys[k] <= level + tolerance) {
      if (std::fabs(ys[k] - level) < tolerance && k + 1 < ys.size()) return (xs[k] + xs[k + 1]) / 2;
      return xs[k];
    }
  }
  return kNaN;
}

}  // namespace

double normal_upper_tail(double z) {
  return 0.5 * std::erfc(z / std::sqrt(2.0));
}

double normal_quantile(double p) {
  if (!(p > 0 && p < 1)) return p == 0 ? -kInf : (p == 1 ? kInf : kNaN);
  // Bisection to a bracket, then Newton steps on Phi(x) - p (the density is explicit).
  double lo = -40, hi = 40;
  for (int i = 0; i < 60; ++i) {
    const double mid = (lo + hi) / 2;
    if (1 - normal_upper_tail(mid) < p)
      lo = mid;
    else
      hi = mid;
  }
  double x = (lo + hi) / 2;
  for (int i = 0; i < 5; ++i) {
    const double cdf = x < 0 ? normal_upper_tail(-x) : 1 - normal_upper_tail(x);
    const double pdf = std::exp(-0.5 * x * x) / std::sqrt(2 * M_PI);
    if (pdf <= 0) break;
    const double step = (cdf - p) / pdf;
    x -= step;
    if (std::fabs(step) < 1e-16 * std::max(1.0, std::fabs(x))) break;
  }
  return x;
}

const KaplanMeierRow* KaplanMeier::row_at(double t) const {
  auto it = std::upper_bound(rows.begin(), rows.end(), t,
                             [](double v, const KaplanMeierRow& r) { return v < r.time; });
  if (it == rows.begin()) return nullptr;
  return &*(it - 1);
}

double KaplanMeier::survival_at(double t) const {
  const KaplanMeierRow* r = row_at(t);
  return r ? r->surv : 1.0;
}

int64_t KaplanMeier::n_risk_at(double t) const {
  auto it = std::lower_bound(rows.begin(), rows.end(), t,
                             [](const KaplanMeierRow& r, double v) { return r.time < v; });
  return it == rows.end() ? 0 : it->n_risk;
}

KaplanMeier kaplan_meier(const SurvivalData& data, const KaplanMeierOptions& options) {
  KaplanMeier km;
  km.conf_level = options.conf_level;
  const std::size_t n = data.size();
  km.n = static_cast<int64_t>(n);
  // Events and censorings per distinct time, and subjects per distinct entry time, counted in
  // hash tables (lifetimes in whole days have few distinct values however many subjects).
  struct Tally {
    int64_t events = 0, censored = 0;
  };
  std::unordered_map<double, Tally, TimeHash> by_time;
  for (std::size_t i = 0; i < n; ++i) {
    Tally& t = by_time[data.time[i] == 0 ? 0.0 : data.time[i]];
    if (data.event[i])
      ++t.events;
    else
      ++t.censored;
  }
  std::vector<std::pair<double, Tally>> times(by_time.begin(), by_time.end());
  std::sort(times.begin(), times.end(),
            [](const auto& a, const auto& b) { return a.first < b.first; });
  // Distinct entry times ascending, with the number of subjects entering at or after each.
  std::vector<double> entries;
  std::vector<int64_t> entering_from;
  if (data.has_entry()) {
    std::unordered_map<double, int64_t, TimeHash> by_entry;
    for (double e : data.entry) ++by_entry[e == 0 ? 0.0 : e];
    std::vector<std::pair<double, int64_t>> sorted(by_entry.begin(), by_entry.end());
    std::sort(sorted.begin(), sorted.end(),
              [](const auto& a, const auto& b) { return a.first < b.first; });
    entries.resize(sorted.size());
    entering_from.assign(sorted.size() + 1, 0);
    for (std::size_t k = sorted.size(); k-- > 0;) {
      entries[k] = sorted[k].first;
      entering_from[k] = entering_from[k + 1] + sorted[k].second;
    }
  }

  const double z = normal_quantile(1 - (1 - options.conf_level) / 2);
  double surv = 1, var_log = 0, cumhaz = 0, var_cumhaz = 0;
  std::size_t before = 0;  // subjects whose time is earlier than the current one
  for (const auto& [t, tally] : times) {
    const int64_t d = tally.events, c = tally.censored;
    // At risk at t: time >= t minus those entering at or after t.
    int64_t at_risk = static_cast<int64_t>(n - before);
    if (!entries.empty()) {
      const auto first_late = std::lower_bound(entries.begin(), entries.end(), t) - entries.begin();
      at_risk -= entering_from[static_cast<std::size_t>(first_late)];
    }
    before += static_cast<std::size_t>(d + c);
    km.events += d;
    if (d > 0 && at_risk > 0) {
      const double nr = static_cast<double>(at_risk), dd = static_cast<double>(d);
      surv *= 1 - dd / nr;
      var_log += at_risk > d ? dd / (nr * (nr - dd)) : kInf;
      cumhaz += dd / nr;
      var_cumhaz += dd / (nr * nr);
    }
    KaplanMeierRow row;
    row.time = t;
    row.n_risk = at_risk;
    row.n_event = d;
    row.n_censor = c;
    row.surv = surv;
    row.se_log_surv = std::sqrt(var_log);
    row.se_surv = surv * row.se_log_surv;  // 0 * Inf = NaN, R's NA
    if (surv > 0) {
      const double ls = std::log(surv);
      row.lower_log = std::exp(ls - z * row.se_log_surv);
      row.upper_log = std::min(1.0, std::exp(ls + z * row.se_log_surv));
    } else {
      row.lower_log = row.upper_log = kNaN;
    }
    if (surv > 0 && surv < 1) {
      const double ls = std::log(surv);
      const double center = std::log(-ls), half = z * row.se_log_surv / ls;  // half < 0
      row.lower_loglog = std::exp(-std::exp(center - half));
      row.upper_loglog = std::exp(-std::exp(center + half));
    } else {
      row.lower_loglog = row.upper_loglog = kNaN;
    }
    row.cumhaz = cumhaz;
    row.se_cumhaz = std::sqrt(var_cumhaz);
    km.rows.push_back(row);
  }
  return km;
}

SurvivalQuantile km_quantile(const KaplanMeier& km, double survival_level) {
  std::vector<double> x, s, ll, ul, lll, ull;
  for (const auto& r : km.rows) {
    x.push_back(r.time);
    s.push_back(r.surv);
    ll.push_back(r.lower_log);
    ul.push_back(r.upper_log);
    lll.push_back(r.lower_loglog);
    ull.push_back(r.upper_loglog);
  }
  SurvivalQuantile q;
  q.survival_level = survival_level;
  q.time = first_crossing(x, s, survival_level);
  // The lower survival curve crosses first, so it gives the lower time limit.
  q.lower_log = first_crossing(x, ll, survival_level);
  q.upper_log = first_crossing(x, ul, survival_level);
  q.lower_loglog = first_crossing(x, lll, survival_level);
  q.upper_loglog = first_crossing(x, ull, survival_level);
  return q;
}

RestrictedMean restricted_mean(const KaplanMeier& km) {
  return restricted_mean(km, km.rows.empty() ? 0.0 : km.rows.back().time);
}

RestrictedMean restricted_mean(const KaplanMeier& km, double end_time) {
  RestrictedMean out;
  out.end_time = end_time;
  // Event times up to end_time, S just after each, and the pieces of area between them.
  std::vector<double> t, s, h;
  for (const auto& r : km.rows) {
    if (r.n_event == 0 || r.time > end_time) continue;
    t.push_back(r.time);
    s.push_back(r.surv);
    const double nr = static_cast<double>(r.n_risk), d = static_cast<double>(r.n_event);
    h.push_back(r.n_risk > r.n_event ? d / (nr * (nr - d)) : 0.0);
  }
  double prev_t = 0, prev_s = 1;
  for (std::size_t k = 0; k < t.size(); ++k) {
    out.mean += prev_s * (t[k] - prev_t);
    prev_t = t[k];
    prev_s = s[k];
  }
  out.mean += prev_s * (end_time - prev_t);
  // Var = sum over event times of (area from t_j to end_time)^2 * d/(n(n-d)).
  double area_after = 0, var = 0;
  for (std::size_t k = t.size(); k-- > 0;) {
    const double next = k + 1 < t.size() ? t[k + 1] : end_time;
    area_after += s[k] * (next - t[k]);
    var += area_after * area_after * h[k];
  }
  out.se = std::sqrt(var);
  return out;
}

}  // namespace iotcensus::analyze

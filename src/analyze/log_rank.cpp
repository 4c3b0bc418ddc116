// Log-rank (Mantel-Haenszel) test: observed minus expected events per group and their
// hypergeometric covariance, chi-square on k-1 groups; see log_rank.h.
#include "analyze/log_rank.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace iotcensus::analyze {
namespace {

// Regularised lower incomplete gamma P(a, x) by its power series (x < a + 1).
double gamma_p_series(double a, double x) {
  double term = 1 / a, sum = term;
  for (int k = 1; k < 10000; ++k) {
    term *= x / (a + k);
    sum += term;
    if (std::fabs(term) < std::fabs(sum) * 1e-17) break;
  }
  return sum * std::exp(-x + a * std::log(x) - std::lgamma(a));
}

// Regularised upper incomplete gamma Q(a, x) by its continued fraction (x >= a + 1),
// evaluated with the modified Lentz method.
double gamma_q_fraction(double a, double x) {
  const double tiny = 1e-300;
  double b = x + 1 - a, c = 1 / tiny, d = 1 / b, f = d;
  for (int i = 1; i < 10000; ++i) {
    const double an = -i * (i - a);
    b += 2;
    d = an * d + b;
    if (std::fabs(d) < tiny) d = tiny;
    c = b + an / c;
    if (std::fabs(c) < tiny) c = tiny;
    d = 1 / d;
    const double delta = d * c;
    f *= delta;
    if (std::fabs(delta - 1) < 1e-17) break;
  }
  return f * std::exp(-x + a * std::log(x) - std::lgamma(a));
}

// Solves A x = b for symmetric positive definite A by Gaussian elimination with pivoting.
// Returns false when A is singular.
bool solve(std::vector<std::vector<double>> a, std::vector<double> b, std::vector<double>& x) {
  const std::size_t n = b.size();
  for (std::size_t col = 0; col < n; ++col) {
    std::size_t pivot = col;
    for (std::size_t r = col + 1; r < n; ++r) {
      if (std::fabs(a[r][col]) > std::fabs(a[pivot][col])) pivot = r;
    }
    if (std::fabs(a[pivot][col]) < 1e-12) return false;
    std::swap(a[pivot], a[col]);
    std::swap(b[pivot], b[col]);
    for (std::size_t r = col + 1; r < n; ++r) {
      const double f = a[r][col] / a[col][col];
      for (std::size_t k = col; k < n; ++k) a[r][k] -= f * a[col][k];
      b[r] -= f * b[col];
    }
  }
  x.assign(n, 0);
  for (std::size_t r = n; r-- > 0;) {
    double s = b[r];
    for (std::size_t k = r + 1; k < n; ++k) s -= a[r][k] * x[k];
    x[r] = s / a[r][r];
  }
  return true;
}

}  // namespace

double chi_square_upper_tail(double x, double df) {
  if (!(x > 0)) return 1;
  if (df == 1) return std::erfc(std::sqrt(x / 2));
  const double a = df / 2, h = x / 2;
  return h < a + 1 ? 1 - gamma_p_series(a, h) : gamma_q_fraction(a, h);
}

core::Result<LogRankResult> log_rank(const SurvivalData& data) {
  if (!data.has_group()) {
    return core::make_error(core::ErrorCode::kUsage,
                            data.source + ": the log-rank test needs a group column");
  }
  LogRankResult out;
  out.groups = data.group_labels();
  const std::size_t k = out.groups.size();
  if (k < 2) {
    return core::make_error(core::ErrorCode::kUsage,
                            data.source + ": the log-rank test needs at least two groups");
  }
  // Per group: sorted times and sorted entries, to count risk sets by binary search.
  std::vector<std::vector<double>> times(k), entries(k);
  std::vector<double> event_times;
  for (std::size_t i = 0; i < data.size(); ++i) {
    const auto g = static_cast<std::size_t>(
        std::find(out.groups.begin(), out.groups.end(), data.group[i]) - out.groups.begin());
    times[g].push_back(data.time[i]);
    if (data.has_entry()) entries[g].push_back(data.entry[i]);
    if (data.event[i]) event_times.push_back(data.time[i]);
  }
  for (auto& v : times) std::sort(v.begin(), v.end());
  for (auto& v : entries) std::sort(v.begin(), v.end());
  std::sort(event_times.begin(), event_times.end());
  event_times.erase(std::unique(event_times.begin(), event_times.end()), event_times.end());
  // Events per group and time: count from the raw data once.
  std::vector<std::vector<double>> deaths(k, std::vector<double>(event_times.size(), 0));
  for (std::size_t i = 0; i < data.size(); ++i) {
    if (!data.event[i]) continue;
    const auto g = static_cast<std::size_t>(
        std::find(out.groups.begin(), out.groups.end(), data.group[i]) - out.groups.begin());
    const auto t = static_cast<std::size_t>(
        std::lower_bound(event_times.begin(), event_times.end(), data.time[i]) -
        event_times.begin());
    deaths[g][t] += 1;
  }
  out.n.assign(k, 0);
  out.observed.assign(k, 0);
  out.expected.assign(k, 0);
  out.variance.assign(k, std::vector<double>(k, 0));
  for (std::size_t g = 0; g < k; ++g) out.n[g] = static_cast<double>(times[g].size());
  std::vector<double> at_risk(k);
  for (std::size_t t = 0; t < event_times.size(); ++t) {
    const double when = event_times[t];
    double n = 0, d = 0;
    for (std::size_t g = 0; g < k; ++g) {
      double r = static_cast<double>(times[g].end() -
                                     std::lower_bound(times[g].begin(), times[g].end(), when));
      if (!entries[g].empty()) {
        r -= static_cast<double>(entries[g].end() -
                                 std::lower_bound(entries[g].begin(), entries[g].end(), when));
      }
      at_risk[g] = r;
      n += r;
      d += deaths[g][t];
    }
    if (n <= 0) continue;
    const double spread = n > 1 ? d * (n - d) / (n - 1) : 0;
    for (std::size_t g = 0; g < k; ++g) {
      out.observed[g] += deaths[g][t];
      out.expected[g] += d * at_risk[g] / n;
      for (std::size_t h = 0; h < k; ++h) {
        out.variance[g][h] += spread * at_risk[g] / n * ((g == h ? 1.0 : 0.0) - at_risk[h] / n);
      }
    }
  }
  // Chi-square on the first k-1 groups (the last is determined by the others).
  std::vector<std::vector<double>> v(k - 1, std::vector<double>(k - 1));
  std::vector<double> diff(k - 1), x;
  for (std::size_t g = 0; g + 1 < k; ++g) {
    diff[g] = out.observed[g] - out.expected[g];
    for (std::size_t h = 0; h + 1 < k; ++h) v[g][h] = out.variance[g][h];
  }
  if (!solve(v, diff, x)) {
    return core::make_error(core::ErrorCode::kUsage,
                            data.source +
                                ": log-rank variance is singular (a group with no "
                                "subjects at risk at any event time?)");
  }
  out.chi_square = 0;
  for (std::size_t g = 0; g + 1 < k; ++g) out.chi_square += diff[g] * x[g];
  out.df = static_cast<int>(k - 1);
  out.p_value = chi_square_upper_tail(out.chi_square, out.df);
  return out;
}

}  // namespace iotcensus::analyze

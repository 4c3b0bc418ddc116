// Log-rank test comparing survival between groups (R's survdiff with rho = 0), with left
// truncation handled through the risk sets; plus the chi-square upper tail it needs.
#pragma once

#include <string>
#include <vector>

#include "analyze/survival_data.h"
#include "core/error.h"

namespace iotcensus::analyze {

struct LogRankResult {
  std::vector<std::string> groups;            // in order of first appearance in the data
  std::vector<double> n;                      // subjects per group
  std::vector<double> observed;               // events per group
  std::vector<double> expected;               // expected events under equal hazards
  std::vector<std::vector<double>> variance;  // covariance of observed - expected
  double chi_square = 0;
  int df = 0;
  double p_value = 1;
};

// Needs a group column with at least two labels. kUsage error otherwise.
core::Result<LogRankResult> log_rank(const SurvivalData& data);

// P(X > x) for X chi-square with df degrees of freedom (regularised upper incomplete gamma).
double chi_square_upper_tail(double x, double df);

}  // namespace iotcensus::analyze

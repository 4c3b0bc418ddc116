// Likelihood-ratio test of a parametric survival model against a larger model that contains it
// (the single exponential inside the two-exponential mixture, or inside the Weibull).
#pragma once

#include <string>

#include "analyze/parametric.h"
#include "core/error.h"

namespace iotcensus::analyze {

struct LikelihoodRatioTest {
  std::string null_model;         // e.g. "exponential"
  std::string alternative_model;  // e.g. "exponential-mixture"
  double statistic = 0;           // 2 (loglik alternative - loglik null), floored at 0
  int df = 0;                     // parameters of the alternative minus those of the null
  double p_value = 1;             // chi-square(df) upper tail
  // True when the null sits on the boundary of the alternative's parameter space (a mixture
  // weight of 0 or 1, or equal components), where Wilks' theorem does not hold: the chi-square
  // reference is then only approximate (for a single boundary parameter it is conservative).
  bool boundary = false;
};

// `null` must be nested in `alternative`: exponential in weibull, gompertz (b = 0),
// exponential-mixture or weibull-mixture; weibull in weibull-mixture. kUsage error otherwise,
// or when the two fits are of different data (subjects differ).
core::Result<LikelihoodRatioTest> likelihood_ratio_test(const ParametricFit& null,
                                                        const ParametricFit& alternative);

}  // namespace iotcensus::analyze

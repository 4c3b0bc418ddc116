// Likelihood-ratio tests between nested survival models; see likelihood_ratio.h.
#include "analyze/likelihood_ratio.h"

#include <algorithm>

#include "analyze/log_rank.h"

namespace iotcensus::analyze {

namespace {

// Whether `inner` is a special case of `outer`, and whether that case lies on the boundary of
// outer's parameter space.
bool nested(Distribution inner, Distribution outer, bool* boundary) {
  using D = Distribution;
  *boundary = outer == D::kExponentialMixture || outer == D::kWeibullMixture;
  if (inner == D::kExponential) {
    return outer == D::kWeibull || outer == D::kGompertz || outer == D::kExponentialMixture ||
           outer == D::kWeibullMixture;
  }
  if (inner == D::kWeibull) return outer == D::kWeibullMixture;
  return false;
}

}  // namespace

core::Result<LikelihoodRatioTest> likelihood_ratio_test(const ParametricFit& null,
                                                        const ParametricFit& alternative) {
  LikelihoodRatioTest t;
  t.null_model = distribution_name(null.distribution);
  t.alternative_model = distribution_name(alternative.distribution);
  if (!nested(null.distribution, alternative.distribution, &t.boundary)) {
    return core::Error{core::ErrorCode::kUsage,
                       t.null_model + " is not nested in " + t.alternative_model};
  }
  if (null.n != alternative.n || null.events != alternative.events) {
    return core::Error{core::ErrorCode::kUsage,
                       "likelihood-ratio test: the two fits are of different data"};
  }
  t.df = alternative.n_parameters - null.n_parameters;
  // The larger model's maximum is at least the smaller's; a small negative difference is the
  // optimiser's tolerance.
  t.statistic = std::max(0.0, 2 * (alternative.log_likelihood - null.log_likelihood));
  t.p_value = chi_square_upper_tail(t.statistic, t.df);
  return t;
}

}  // namespace iotcensus::analyze

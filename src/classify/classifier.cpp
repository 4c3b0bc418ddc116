#include "classify/classifier.h"

#include <fmt/format.h>

#include <algorithm>
#include <set>

namespace iotcensus::classify {

core::Result<Classifier> Classifier::create(std::vector<Rule> rules) {
  if (rules.size() > kMaxRules) {
    return core::make_error(
        core::ErrorCode::kBadRule,
        fmt::format("{} rules loaded; at most {} are supported", rules.size(), kMaxRules));
  }
  std::set<std::string> names;
  for (const auto& r : rules) {
    if (r.name == kUnclassified || !names.insert(r.name).second) {
      return core::make_error(
          core::ErrorCode::kBadRule,
          fmt::format("{}: rule name '{}' is used twice (or reserved)", r.origin, r.name));
    }
  }
  std::stable_sort(rules.begin(), rules.end(),
                   [](const Rule& a, const Rule& b) { return a.priority < b.priority; });
  for (auto& r : rules) {
    r.match.compile();
    r.evidence.compile();
  }
  Classifier c;
  c.rules_ = std::move(rules);
  for (size_t i = 0; i < c.rules_.size(); ++i) {
    (c.rules_[i].kind == RuleKind::kClass ? c.class_bits_ : c.flag_bits_) |= uint64_t{1} << i;
  }
  return c;
}

namespace {
// The median and count of a histogram, computed once however many rules ask.
struct CadenceView {
  const CadenceHistogram& h;
  double median = -1;
  uint32_t intervals = 0;
  bool holds(const CadenceCondition& c) {
    if (median < 0) {
      intervals = h.intervals();
      median = h.median_s();
    }
    return c.holds(median, intervals);
  }
};
}  // namespace

Classifier::Resolution Classifier::resolve(uint64_t mask, const CadenceHistogram& cadence) const {
  Resolution out;
  CadenceView view{cadence};
  for (uint64_t m = mask & class_bits_; m != 0; m &= m - 1) {
    const int i = __builtin_ctzll(m);
    if (!rules_[i].cadence || view.holds(*rules_[i].cadence)) {
      out.class_rule = i;
      break;
    }
  }
  for (uint64_t m = mask & flag_bits_; m != 0; m &= m - 1) {
    const int i = __builtin_ctzll(m);
    if (!rules_[i].cadence || view.holds(*rules_[i].cadence)) out.flags |= uint64_t{1} << i;
  }
  return out;
}

const std::string& Classifier::class_name(int rule) const {
  return rule < 0 ? unclassified_ : rules_[rule].name;
}

}  // namespace iotcensus::classify

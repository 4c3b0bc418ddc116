#include "classify/classifier.h"

#include <fmt/format.h>

#include <algorithm>
#include <set>

namespace iotcensus::classify {

core::Result<Classifier> Classifier::create(std::vector<Rule> rules) {
  if (rules.size() > kMaxRules) {
    return core::make_error(core::ErrorCode::kBadRule,
                            fmt::format("{} rules loaded; at most {} are supported", rules.size(),
                                        kMaxRules));
  }
  std::set<std::string> names;
  for (const auto& r : rules) {
    if (r.name == kUnclassified || !names.insert(r.name).second) {
      return core::make_error(core::ErrorCode::kBadRule,
                              fmt::format("{}: rule name '{}' is used twice (or reserved)",
                                          r.origin, r.name));
    }
  }
  std::stable_sort(rules.begin(), rules.end(),
                   [](const Rule& a, const Rule& b) { return a.priority < b.priority; });
  Classifier c;
  c.rules_ = std::move(rules);
  for (size_t i = 0; i < c.rules_.size(); ++i) {
    (c.rules_[i].kind == RuleKind::kClass ? c.class_bits_ : c.flag_bits_) |= uint64_t{1} << i;
  }
  return c;
}

int Classifier::leading_class(uint64_t mask) const {
  const uint64_t m = mask & class_bits_;
  return m == 0 ? -1 : __builtin_ctzll(m);
}

int Classifier::resolve_class(uint64_t mask, const CadenceHistogram& cadence) const {
  uint64_t m = mask & class_bits_;
  while (m != 0) {
    const int i = __builtin_ctzll(m);
    if (!rules_[i].cadence || rules_[i].cadence->holds(cadence)) return i;
    m &= m - 1;
  }
  return -1;
}

uint64_t Classifier::resolve_flags(uint64_t mask, const CadenceHistogram& cadence) const {
  uint64_t m = mask & flag_bits_;
  uint64_t out = 0;
  while (m != 0) {
    const int i = __builtin_ctzll(m);
    if (!rules_[i].cadence || rules_[i].cadence->holds(cadence)) out |= uint64_t{1} << i;
    m &= m - 1;
  }
  return out;
}

const std::string& Classifier::class_name(int rule) const {
  return rule < 0 ? unclassified_ : rules_[rule].name;
}

}  // namespace iotcensus::classify

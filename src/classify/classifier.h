// The compiled set of rules: which rules a packet satisfies (a 64-bit mask, per packet), and,
// once a source's cadence is known, which class it belongs to and which flags it raises.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "classify/cadence.h"
#include "classify/rule.h"
#include "core/error.h"
#include "core/observation.h"

namespace iotcensus::classify {

// Class of NTP traffic no rule claims.
inline constexpr const char* kUnclassified = "unclassified";

class Classifier {
 public:
  static constexpr size_t kMaxRules = 64;

  // Orders rules by priority (stable), checks names are unique and fit in a 64-bit mask.
  static core::Result<Classifier> create(std::vector<Rule> rules);

  // Bit i set: rule i's packet conditions hold. Hot path.
  uint64_t match(const core::Observation& obs) const {
    uint64_t mask = 0;
    for (size_t i = 0; i < rules_.size(); ++i) {
      if (rules_[i].match.matches(obs)) mask |= uint64_t{1} << i;
    }
    return mask;
  }
  // The class rule a mask would resolve to if cadence allowed it: the one evidence is kept for.
  int leading_class(uint64_t mask) const {
    const uint64_t m = mask & class_bits_;
    return m == 0 ? -1 : __builtin_ctzll(m);
  }
  bool evidence(int rule, const core::Observation& obs) const {
    return rule >= 0 && !rules_[rule].evidence.empty && rules_[rule].evidence.matches(obs);
  }

  struct Resolution {
    int class_rule = -1;  // first class rule (by priority) whose cadence condition holds, or -1
    uint64_t flags = 0;   // flag rules whose cadence condition holds
  };
  // The rules of `mask` that a source of this cadence meets (its median is computed once).
  Resolution resolve(uint64_t mask, const CadenceHistogram& cadence) const;

  const std::vector<Rule>& rules() const { return rules_; }
  // Class name of a resolved rule index (-1 is kUnclassified).
  const std::string& class_name(int rule) const;

 private:
  std::vector<Rule> rules_;
  uint64_t class_bits_ = 0;
  uint64_t flag_bits_ = 0;
  std::string unclassified_ = kUnclassified;
};

}  // namespace iotcensus::classify

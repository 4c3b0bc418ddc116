// Reads class and flag rules from TOML text (rules/*.toml, --rules FILE): unknown keys, wrong
// types and out-of-range values are errors that name the file, the rule and the key.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "classify/rule.h"
#include "core/error.h"

namespace iotcensus::classify {

// `origin` names the text in error messages (a path, or "built-in rules/x.toml").
core::Result<std::vector<Rule>> parse_rules(std::string_view toml_text, const std::string& origin);
core::Result<std::vector<Rule>> load_rule_file(const std::string& path);

}  // namespace iotcensus::classify

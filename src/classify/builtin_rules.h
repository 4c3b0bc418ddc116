// The rule files of rules/ as compiled into the binary (generated at build time), so that
// `iotcensus` classifies the same way wherever it runs; --rules-dir reads them from disk instead.
#pragma once

#include <span>

namespace iotcensus::classify {

struct EmbeddedRuleFile {
  const char* name;  // "rules/netgear.toml"
  const char* text;
};

std::span<const EmbeddedRuleFile> builtin_rule_files();

}  // namespace iotcensus::classify

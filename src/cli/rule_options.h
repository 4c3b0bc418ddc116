// Rule selection shared by the subcommands that classify: the built-in rules (compiled from
// rules/*.toml), or the *.toml files of --rules-dir instead, plus any --rules FILE.
#pragma once

#include <string>
#include <vector>

#include "classify/classifier.h"
#include "core/error.h"

namespace CLI {
class App;
}

namespace iotcensus::cli {

struct RuleOptions {
  std::string rules_dir;           // replaces the built-in rules when set
  std::vector<std::string> extra;  // added to them
  void add_to(CLI::App& app);
  core::Result<classify::Classifier> load() const;
};

}  // namespace iotcensus::cli

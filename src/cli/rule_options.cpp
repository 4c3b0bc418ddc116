#include "cli/rule_options.h"

#include <fmt/format.h>
#include <CLI/CLI.hpp>

#include <algorithm>
#include <cstdlib>
#include <filesystem>

#include "classify/builtin_rules.h"
#include "classify/rule_loader.h"

namespace iotcensus::cli {

void RuleOptions::add_to(CLI::App& app) {
  app.add_option("--rules", extra, "Extra rule file(s) (TOML) to load after the built-in rules");
  app.add_option("--rules-dir", rules_dir,
                 "Load rules from this folder's *.toml instead of the built-in rules "
                 "(default: $IOTCENSUS_RULES_DIR, else built-in)");
}

core::Result<classify::Classifier> RuleOptions::load() const {
  std::vector<classify::Rule> rules;
  auto append = [&](core::Result<std::vector<classify::Rule>> r) -> std::optional<core::Error> {
    if (!r) return r.error();
    for (auto& rule : r.value()) rules.push_back(std::move(rule));
    return std::nullopt;
  };
  std::string dir = rules_dir;
  if (dir.empty()) {
    if (const char* env = std::getenv("IOTCENSUS_RULES_DIR")) dir = env;
  }
  if (dir.empty()) {
    for (const auto& f : classify::builtin_rule_files()) {
      if (auto e = append(classify::parse_rules(f.text, std::string("built-in ") + f.name))) {
        return *e;
      }
    }
  } else {
    std::error_code ec;
    std::vector<std::string> files;
    for (const auto& entry : std::filesystem::directory_iterator(dir, ec)) {
      if (entry.path().extension() == ".toml") files.push_back(entry.path().string());
    }
    if (ec) {
      return core::make_error(core::ErrorCode::kBadRule,
                              fmt::format("{}: cannot read rules folder: {}", dir, ec.message()));
    }
    std::sort(files.begin(), files.end());
    for (const auto& f : files) {
      if (auto e = append(classify::load_rule_file(f))) return *e;
    }
  }
  for (const auto& f : extra) {
    if (auto e = append(classify::load_rule_file(f))) return *e;
  }
  return classify::Classifier::create(std::move(rules));
}

}  // namespace iotcensus::cli

// `iotcensus classes`: the rules in force (class and flag names, priority, origin, description)
// and, when a store exists, how many packets and sources each class has there.

#include <fmt/format.h>
#include <CLI/CLI.hpp>

#include <sys/stat.h>
#include <iostream>
#include <map>

#include "cli/commands.h"
#include "cli/rule_options.h"
#include "store/sqlite_store.h"

namespace iotcensus::cli {

namespace {

struct ClassesOptions {
  std::string store = "census.db";
  RuleOptions rules;
};

int run_classes(const ClassesOptions& o) {
  auto classifier = o.rules.load();
  if (!classifier) {
    std::cerr << "iotcensus classes: " << classifier.error().message << "\n";
    return 2;
  }
  std::map<std::string, store::ClassRow> counts;
  struct stat st {};
  if (stat(o.store.c_str(), &st) == 0) {
    auto store = store::SqliteStore::open_existing(o.store);
    if (store) {
      if (auto rows = store->classes()) {
        for (auto& r : rows.value()) counts[r.name] = r;
      }
    }
  }
  std::cout << fmt::format("{:<5}  {:<26} {:>8} {:>10} {:>8}  {}\n", "kind", "name", "priority",
                           "packets", "sources", "description (origin)");
  auto line = [&](const char* kind, const std::string& name, int priority,
                  const std::string& description, const std::string& origin) {
    auto it = counts.find(name);
    std::string packets = it == counts.end() ? "-" : std::to_string(it->second.packets);
    std::string sources = it == counts.end() ? "-" : std::to_string(it->second.sources);
    if (std::string(kind) == "flag") packets = sources = "";
    std::cout << fmt::format("{:<5}  {:<26} {:>8} {:>10} {:>8}  {} ({})\n", kind, name, priority,
                             packets, sources, description, origin);
  };
  for (const auto& r : classifier->rules()) {
    line(r.kind == classify::RuleKind::kClass ? "class" : "flag", r.name, r.priority, r.description,
         r.origin);
  }
  line("class", classify::kUnclassified, 0, "NTP traffic no class rule claims", "built in");
  return 0;
}

}  // namespace

Command add_classes_command(CLI::App& app) {
  auto o = std::make_shared<ClassesOptions>();
  auto* sub = app.add_subcommand("classes", "List the class and flag rules in force");
  sub->add_option("--store", o->store, "Store whose counts to show, if it exists")
      ->capture_default_str();
  o->rules.add_to(*sub);
  return {sub, [o] { return run_classes(*o); }};
}

}  // namespace iotcensus::cli

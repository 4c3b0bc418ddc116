// Links every class of a store into devices (one DeviceLinker per class, fed day by day from the
// store) and cuts the devices into lives: shared by `population` and `devices`.
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "analyze/device_linker.h"
#include "analyze/lives.h"
#include "core/error.h"
#include "store/sqlite_store.h"

namespace CLI {
class App;
}

namespace iotcensus::cli {

struct LinkedClass {
  std::unique_ptr<analyze::DeviceLinker> linker;
  analyze::AbsenceChoice absence;
  std::vector<analyze::Life> lives;
};

struct LinkRequest {
  std::optional<std::string> class_name;
  analyze::LinkOptions options;
  int32_t absence_days = 0;  // W; 0: chosen from the data per class
};

core::Result<std::map<std::string, LinkedClass>> link_store(store::SqliteStore& store,
                                                            const LinkRequest& request);

// What the linking commands (population, devices, lifetimes --class) take from the command line.
struct LinkArgs {
  std::string store = "census.db";
  std::string class_name;  // empty: every class
  int32_t absence_days = 0;
  int32_t link_days = 90;
};
// Registers --absence-days and --link-days (`prefix` starts their help, e.g. "With --class: ").
void add_link_options(CLI::App* sub, LinkArgs& args, const std::string& prefix = "");

struct LinkedStore {
  store::SqliteStore store;
  std::map<std::string, LinkedClass> classes;
};
// Opens an existing store and links it. The error's message names the store; its code is kUsage
// for a class the store does not hold (exit 1), kStore otherwise (exit 2).
core::Result<LinkedStore> open_and_link(const LinkArgs& args);
// The exit code for an open_and_link error.
int link_exit_code(const core::Error& e);

}  // namespace iotcensus::cli

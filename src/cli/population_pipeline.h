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

}  // namespace iotcensus::cli

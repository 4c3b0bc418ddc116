#include "cli/population_pipeline.h"

#include <fmt/format.h>

#include <CLI/CLI.hpp>
#include <algorithm>

namespace iotcensus::cli {

core::Result<std::map<std::string, LinkedClass>> link_store(store::SqliteStore& store,
                                                            const LinkRequest& request) {
  auto days = store.days_with_data();
  if (!days) return days.error();
  std::vector<int32_t> observed;
  for (int64_t d : days.value()) observed.push_back(static_cast<int32_t>(d / 86400));
  std::map<std::string, LinkedClass> out;
  std::vector<core::SourceDay> rows;
  std::string cls;
  int64_t day = INT64_MIN;
  auto flush = [&] {
    if (rows.empty()) return;
    LinkedClass& c = out[cls];
    if (!c.linker) c.linker = std::make_unique<analyze::DeviceLinker>(request.options, observed);
    c.linker->add_day(static_cast<int32_t>(day / 86400), rows);
    rows.clear();
  };
  auto st = store.for_each_source_day(request.class_name, [&](const core::SourceDay& r) {
    if (r.day_s != day || r.class_name != cls) {
      flush();
      day = r.day_s;
      cls = r.class_name;
    }
    rows.push_back(r);
  });
  if (!st) return st.error();
  flush();
  for (auto& [name, c] : out) {
    c.linker->finish();
    if (request.absence_days > 0) {
      c.absence.days = request.absence_days;
      c.absence.reason =
          "W = " + std::to_string(request.absence_days) + " observed days (--absence-days)";
    } else {
      uint64_t devices = 0;
      for (const auto& t : c.linker->tracks()) devices += t.addresses > 0 ? 1 : 0;
      // W is at least the gap an unseen move may bridge, so that a joined move is not cut again.
      c.absence = analyze::choose_absence_days(c.linker->gaps(), devices, 0.001,
                                               std::max(2, request.options.unseen_move_days),
                                               request.options.link_days);
    }
    c.lives = analyze::split_lives(*c.linker, c.absence.days);
  }
  return out;
}

void add_link_options(CLI::App* sub, LinkArgs& args, const std::string& prefix) {
  sub->add_option("--absence-days", args.absence_days,
                  prefix +
                      "W: a device unseen for more than W observed days died (default: from "
                      "the data)")
      ->check(CLI::Range(1, 3650));
  sub->add_option("--link-days", args.link_days,
                  prefix +
                      "link a re-addressed device at most this many observed days after it "
                      "was seen")
      ->capture_default_str()
      ->check(CLI::Range(1, 3650));
}

core::Result<LinkedStore> open_and_link(const LinkArgs& args) {
  auto store = store::SqliteStore::open_existing(args.store);
  if (!store) return store.error();
  LinkRequest request;
  if (!args.class_name.empty()) request.class_name = args.class_name;
  request.absence_days = args.absence_days;
  request.options.link_days = args.link_days;
  auto linked = link_store(*store, request);
  if (!linked) return linked.error();
  if (request.class_name && !linked->count(*request.class_name)) {
    return core::make_error(core::ErrorCode::kUsage,
                            fmt::format("{}: no sources of class '{}' (see `iotcensus classes`)",
                                        args.store, *request.class_name));
  }
  return LinkedStore{std::move(store.value()), std::move(linked.value())};
}

int link_exit_code(const core::Error& e) {
  return e.code == core::ErrorCode::kUsage ? 1 : 2;
}

}  // namespace iotcensus::cli

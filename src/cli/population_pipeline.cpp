#include "cli/population_pipeline.h"

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

}  // namespace iotcensus::cli

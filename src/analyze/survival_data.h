// A survival data set (time, event, optional entry time for left truncation, optional group),
// and its loader from a CSV file with a header row, columns chosen by name.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "core/error.h"

namespace iotcensus::analyze {

// One subject per index. `entry` is empty when there is no left truncation (everyone enters at
// 0); otherwise subject i is at risk on (entry[i], time[i]], R's Surv(start, stop, event).
struct SurvivalData {
  std::vector<double> time;
  std::vector<uint8_t> event;      // 1 = the event (death) was observed, 0 = right-censored
  std::vector<double> entry;       // empty, or one entry time per subject (< time)
  std::vector<std::string> group;  // empty, or one label per subject
  std::size_t dropped_rows = 0;    // rows skipped because a used column was NA or empty
  std::string source;              // file name, for messages

  std::size_t size() const { return time.size(); }
  bool has_entry() const { return !entry.empty(); }
  bool has_group() const { return !group.empty(); }
  double entry_of(std::size_t i) const { return entry.empty() ? 0.0 : entry[i]; }
  std::size_t events() const;
  // The subjects whose group label is `label` (entry times kept, no group column).
  SurvivalData subset(const std::string& label) const;
  // Distinct group labels in order of first appearance.
  std::vector<std::string> group_labels() const;
};

// Column names to read; `entry` and `group` may be empty (not used).
struct SurvivalColumns {
  std::string time;
  std::string event;
  std::string entry;
  std::string group;
};

// Reads a CSV file (comma-separated, double-quoted fields allowed, header row). A row whose
// time, event, entry or group field is `NA` or empty is dropped and counted in dropped_rows.
// Event values: 0/1, FALSE/TRUE, or R's 1/2 coding (1 = censored, 2 = event) when every value
// is 1 or 2 and at least one is 2, as R's Surv() does. Times must be finite and >= 0, entry
// times finite and < time. Errors (kUsage, kIo) name the file, the column and the line.
core::Result<SurvivalData> load_survival_csv(const std::string& path,
                                             const SurvivalColumns& columns);

// Checks the invariants above on data built in code (sizes agree, values valid).
core::Status validate(const SurvivalData& data);

}  // namespace iotcensus::analyze

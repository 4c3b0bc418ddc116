// A series of one number per day (devices online, births), and its loader from a CSV file whose
// days are dates (YYYY-MM-DD) or plain day numbers.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/error.h"

namespace iotcensus::analyze {

// Days strictly increasing; gaps allowed. With `dates`, a day is the number of days since
// 1970-01-01 (UTC); otherwise it is the number the file gave.
struct DailySeries {
  std::vector<int64_t> day;
  std::vector<double> value;
  bool dates = false;
  std::string source;  // file name, for messages
  std::size_t size() const { return day.size(); }
};

// Reads a CSV file with a header row. The day column is the one named "day" (else the first);
// the value column is the one named `value_column` (else the second). A day is a date
// YYYY-MM-DD or a whole number, the same kind on every row; values are finite and >= 0. Rows
// may come in any order but a day may not repeat. Errors (kIo, kUsage) name the file and line.
core::Result<DailySeries> load_daily_series_csv(const std::string& path,
                                                const std::string& value_column);

// A day as the series wrote it: "2003-05-14" for dates, "12" for day numbers.
std::string format_day(int64_t day, bool dates);

}  // namespace iotcensus::analyze

// Loads daily series from CSV; see daily_series.h. Strict: every rejected value is reported
// with the file, the line and the column.
#include "analyze/daily_series.h"

#include <algorithm>
#include <cmath>
#include <fstream>
#include <numeric>

#include "analyze/csv_record.h"
#include "core/time_bin.h"

namespace iotcensus::analyze {
namespace {

core::Error bad(const std::string& path, std::size_t line, const std::string& what) {
  return core::make_error(core::ErrorCode::kUsage,
                          path + ": line " + std::to_string(line) + ": " + what);
}

}  // namespace

std::string format_day(int64_t day, bool dates) {
  return dates ? core::format_date(day * core::kSecondsPerDay) : std::to_string(day);
}

core::Result<DailySeries> load_daily_series_csv(const std::string& path,
                                                const std::string& value_column) {
  auto csv = open_csv(path);
  if (!csv) return csv.error();
  std::ifstream& in = csv->in;
  const std::vector<std::string>& header = csv->header;
  std::string line;
  if (header.size() < 2) return bad(path, 1, "need a day column and a value column");
  auto column = [&](const std::string& name, std::size_t fallback) {
    const auto it = std::find(header.begin(), header.end(), name);
    return it == header.end() ? fallback : static_cast<std::size_t>(it - header.begin());
  };
  const std::size_t day_col = column("day", 0);
  const std::size_t value_col = column(value_column, day_col == 1 ? 0 : 1);
  if (value_col == day_col) return bad(path, 1, "the day and value columns are the same");
  const std::string value_name = header[value_col];

  DailySeries s;
  s.source = path;
  std::vector<std::size_t> line_of;
  std::size_t line_no = 1;
  bool kind_known = false;
  while (std::getline(in, line)) {
    ++line_no;
    if (trim(line).empty()) continue;
    const std::vector<std::string> fields = split_csv(line);
    if (fields.size() != header.size()) {
      return bad(
          path, line_no,
          std::to_string(fields.size()) + " fields, header has " + std::to_string(header.size()));
    }
    const std::string d = trim(fields[day_col]);
    const std::string v = trim(fields[value_col]);
    const bool is_date = d.size() == 10 && d[4] == '-' && d[7] == '-';
    if (kind_known && is_date != s.dates) {
      return bad(path, line_no,
                 "column '" + header[day_col] + "': '" + d + "' mixes " +
                     (s.dates ? "a day number with dates" : "a date with numbers"));
    }
    kind_known = true;
    s.dates = is_date;
    int64_t day = 0;
    if (is_date) {
      const auto t = core::parse_iso8601(d);
      if (!t)
        return bad(path, line_no, "column '" + header[day_col] + "': '" + d + "' is not a date");
      day = *t / core::kSecondsPerDay;
    } else {
      const auto n = parse_number(d);
      if (!n || *n != std::floor(*n) || std::fabs(*n) > 1e9) {
        return bad(path, line_no,
                   "column '" + header[day_col] + "': '" + d +
                       "' is not a date (YYYY-MM-DD) or a whole day number");
      }
      day = static_cast<int64_t>(*n);
    }
    const auto value = parse_number(v);
    if (!value || *value < 0) {
      return bad(path, line_no, "column '" + value_name + "': '" + v + "' is not a number >= 0");
    }
    s.day.push_back(day);
    s.value.push_back(*value);
    line_of.push_back(line_no);
  }
  // Sort by day (stable, so a repeated day is reported at its second line).
  std::vector<std::size_t> order(s.size());
  std::iota(order.begin(), order.end(), std::size_t{0});
  std::stable_sort(order.begin(), order.end(),
                   [&](std::size_t a, std::size_t b) { return s.day[a] < s.day[b]; });
  DailySeries sorted;
  sorted.source = s.source;
  sorted.dates = s.dates;
  for (std::size_t k = 0; k < order.size(); ++k) {
    const std::size_t i = order[k];
    if (k > 0 && s.day[i] == sorted.day.back()) {
      return bad(path, line_of[i], "day " + format_day(s.day[i], s.dates) + " appears twice");
    }
    sorted.day.push_back(s.day[i]);
    sorted.value.push_back(s.value[i]);
  }
  if (sorted.size() == 0) return core::make_error(core::ErrorCode::kUsage, path + ": no rows");
  return sorted;
}

}  // namespace iotcensus::analyze

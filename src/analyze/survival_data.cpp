// Loads survival data sets from CSV by column name and checks them; see survival_data.h.
// Parsing is strict: every rejected value is reported with file, column and line.
#include "analyze/survival_data.h"

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <fstream>
#include <optional>
#include <sstream>

#include "analyze/csv_record.h"

namespace iotcensus::analyze {
namespace {

core::Error bad(const std::string& path, const std::string& column, std::size_t line,
                const std::string& what) {
  std::ostringstream os;
  os << path << ": column '" << column << "', line " << line << ": " << what;
  return core::make_error(core::ErrorCode::kUsage, os.str());
}

}  // namespace

std::size_t SurvivalData::events() const {
  return static_cast<std::size_t>(std::count(event.begin(), event.end(), uint8_t{1}));
}

std::vector<std::string> SurvivalData::group_labels() const {
  std::vector<std::string> labels;
  for (const auto& g : group) {
    if (std::find(labels.begin(), labels.end(), g) == labels.end()) labels.push_back(g);
  }
  return labels;
}

SurvivalData SurvivalData::subset(const std::string& label) const {
  SurvivalData out;
  out.source = source;
  for (std::size_t i = 0; i < size(); ++i) {
    if (group.empty() || group[i] != label) continue;
    out.time.push_back(time[i]);
    out.event.push_back(event[i]);
    if (has_entry()) out.entry.push_back(entry[i]);
  }
  return out;
}

core::Status validate(const SurvivalData& data) {
  const std::size_t n = data.time.size();
  auto fail = [&](const std::string& what) {
    return core::make_error(
        core::ErrorCode::kUsage,
        (data.source.empty() ? std::string("survival data") : data.source) + ": " + what);
  };
  if (data.event.size() != n) return fail("time and event have different lengths");
  if (!data.entry.empty() && data.entry.size() != n) return fail("entry has the wrong length");
  if (!data.group.empty() && data.group.size() != n) return fail("group has the wrong length");
  for (std::size_t i = 0; i < n; ++i) {
    if (!std::isfinite(data.time[i]) || data.time[i] < 0)
      return fail("subject " + std::to_string(i) + ": time must be finite and >= 0");
    if (data.event[i] > 1) return fail("subject " + std::to_string(i) + ": event must be 0 or 1");
    if (!data.entry.empty() && (!std::isfinite(data.entry[i]) || data.entry[i] >= data.time[i]))
      return fail("subject " + std::to_string(i) + ": entry must be finite and < time");
  }
  return core::Ok{};
}

core::Result<SurvivalData> load_survival_csv(const std::string& path,
                                             const SurvivalColumns& columns) {
  auto csv = open_csv(path);
  if (!csv) return csv.error();
  std::ifstream& in = csv->in;
  const std::vector<std::string>& header = csv->header;
  std::string line;
  auto find_column = [&](const std::string& name) -> core::Result<std::size_t> {
    const auto it = std::find(header.begin(), header.end(), name);
    if (it == header.end()) {
      return core::make_error(core::ErrorCode::kUsage,
                              path + ": column '" + name + "' not in the header (line 1)");
    }
    return static_cast<std::size_t>(it - header.begin());
  };
  if (columns.time.empty() || columns.event.empty()) {
    return core::make_error(core::ErrorCode::kUsage,
                            path + ": time and event columns are required");
  }
  auto time_col = find_column(columns.time);
  if (!time_col) return time_col.error();
  auto event_col = find_column(columns.event);
  if (!event_col) return event_col.error();
  std::optional<std::size_t> entry_col, group_col;
  if (!columns.entry.empty()) {
    auto c = find_column(columns.entry);
    if (!c) return c.error();
    entry_col = *c;
  }
  if (!columns.group.empty()) {
    auto c = find_column(columns.group);
    if (!c) return c.error();
    group_col = *c;
  }

  SurvivalData data;
  data.source = path;
  std::vector<double> raw_event;
  std::vector<std::size_t> event_line;
  std::size_t line_no = 1;
  while (std::getline(in, line)) {
    ++line_no;
    if (trim(line).empty()) continue;
    const std::vector<std::string> fields = split_csv(line);
    if (fields.size() != header.size()) {
      std::ostringstream os;
      os << path << ": line " << line_no << ": " << fields.size() << " fields, header has "
         << header.size();
      return core::make_error(core::ErrorCode::kUsage, os.str());
    }
    const std::string t = trim(fields[*time_col]);
    const std::string e = trim(fields[*event_col]);
    const std::string s = entry_col ? trim(fields[*entry_col]) : std::string("0");
    const std::string g = group_col ? trim(fields[*group_col]) : std::string("-");
    if (is_missing(t) || is_missing(e) || is_missing(s) || is_missing(g)) {
      ++data.dropped_rows;
      continue;
    }
    const auto tv = parse_number(t);
    if (!tv) return bad(path, columns.time, line_no, "'" + t + "' is not a number");
    if (*tv < 0) return bad(path, columns.time, line_no, "negative time " + t);
    double ev = 0;
    if (e == "TRUE" || e == "true" || e == "True") {
      ev = 1;
    } else if (e == "FALSE" || e == "false" || e == "False") {
      ev = 0;
    } else {
      const auto v = parse_number(e);
      if (!v || (*v != 0 && *v != 1 && *v != 2)) {
        return bad(path, columns.event, line_no, "'" + e + "' is not an event code (0/1, 1/2)");
      }
      ev = *v;
    }
    if (entry_col) {
      const auto sv = parse_number(s);
      if (!sv) return bad(path, columns.entry, line_no, "'" + s + "' is not a number");
      if (*sv >= *tv) {
        return bad(path, columns.entry, line_no,
                   "entry time " + s + " is not before the time " + t);
      }
      data.entry.push_back(*sv);
    }
    data.time.push_back(*tv);
    raw_event.push_back(ev);
    event_line.push_back(line_no);
    if (group_col) data.group.push_back(g);
  }
  // R's Surv(): if every status is 1 or 2 (and some are 2), 1 = censored and 2 = event.
  const bool has_zero = std::find(raw_event.begin(), raw_event.end(), 0.0) != raw_event.end();
  const bool has_two = std::find(raw_event.begin(), raw_event.end(), 2.0) != raw_event.end();
  if (has_two && has_zero) {
    const auto it = std::find(raw_event.begin(), raw_event.end(), 2.0);
    return bad(path, columns.event, event_line[static_cast<std::size_t>(it - raw_event.begin())],
               "event codes mix 0 and 2 (use 0/1 or 1/2)");
  }
  data.event.reserve(raw_event.size());
  for (double v : raw_event) data.event.push_back(static_cast<uint8_t>(has_two ? v - 1 : v));
  return data;
}

}  // namespace iotcensus::analyze

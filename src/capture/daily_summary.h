// Per-day source summaries (the simulator's daily format, docs/formats.md): one CSV row per day
// and source with packets, bytes, first and last time and the first request's NTP header.
#pragma once

#include <array>
#include <cstdint>
#include <string>

#include "capture/mapped_file.h"
#include "core/address.h"
#include "core/daily_summary_format.h"
#include "core/error.h"

namespace iotcensus::capture {

struct DailySummaryRow {
  int64_t day_start_s = 0;
  core::Address src;
  core::Address dst;
  uint16_t src_port = 0;
  uint16_t dst_port = 0;
  uint64_t packets = 0;
  uint64_t bytes = 0;
  int64_t first_ns = 0;
  int64_t last_ns = 0;
  std::array<uint8_t, 48> ntp_header{};
};

// True when the file starts with the daily-summary header row.
bool is_daily_summary(const MappedFile& file);

// Parses "2003-06-01T00:00:00.123456Z" (fraction optional, up to 9 digits) to ns.
bool parse_time_ns(std::string_view text, int64_t& out);

// Calls visit(const DailySummaryRow&) per row. A malformed row stops the read with kCorruptCapture
// naming the file, the line and the column; callers keep nothing of a file that fails.
template <class Visitor>
core::Result<uint64_t> for_each_daily_row(const MappedFile& file, Visitor&& visit);

namespace detail {
// Parses one data line (without the newline) into `row`; on failure returns the column name.
const char* parse_daily_line(std::string_view line, DailySummaryRow& row);
}  // namespace detail

template <class Visitor>
core::Result<uint64_t> for_each_daily_row(const MappedFile& file, Visitor&& visit) {
  std::string_view text(reinterpret_cast<const char*>(file.data()), file.size());
  size_t pos = text.find('\n');
  if (pos == std::string_view::npos) return uint64_t{0};
  ++pos;
  uint64_t rows = 0;
  uint64_t line_no = 1;
  DailySummaryRow row;
  while (pos < text.size()) {
    size_t end = text.find('\n', pos);
    if (end == std::string_view::npos) end = text.size();
    std::string_view line = text.substr(pos, end - pos);
    ++line_no;
    pos = end + 1;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.empty()) continue;
    if (const char* bad = detail::parse_daily_line(line, row)) {
      return core::make_error(core::ErrorCode::kCorruptCapture,
                              file.path() + ": line " + std::to_string(line_no) +
                                  ": bad daily-summary column '" + bad + "'");
    }
    ++rows;
    visit(row);
  }
  return rows;
}

}  // namespace iotcensus::capture

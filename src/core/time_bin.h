// UTC time: nanoseconds since the Unix epoch, the bins census tallies are kept in, and the
// ISO 8601 text users type and read. NTP's own 32.32 timestamps live in core/ntp_header.h.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace iotcensus::core {

inline constexpr int64_t kNanosPerSecond = 1'000'000'000;
inline constexpr int64_t kSecondsPerHour = 3600;
inline constexpr int64_t kSecondsPerDay = 86400;

// Start (seconds since epoch) of the bin of width `width_s` holding `time_s`; floors for
// times before 1970 too.
inline int64_t bin_start(int64_t time_s, int64_t width_s) {
  int64_t r = time_s % width_s;
  if (r < 0) r += width_s;
  return time_s - r;
}

inline int64_t floor_seconds(int64_t time_ns) {
  int64_t s = time_ns / kNanosPerSecond;
  if (time_ns % kNanosPerSecond < 0) --s;
  return s;
}

// "2003-06-01T00:00:00Z"
std::string format_iso8601(int64_t time_s);
// "2003-06-01"
std::string format_date(int64_t time_s);
// Parses "YYYY-MM-DD", "YYYY-MM-DDTHH:MM:SSZ" (also with +00:00 or no zone, taken as UTC).
std::optional<int64_t> parse_iso8601(std::string_view text);

// Parses a bin width such as "hour", "day", "week", "3600", "15m", "6h", "1d" into seconds.
std::optional<int64_t> parse_bin_width(std::string_view text);

}  // namespace iotcensus::core

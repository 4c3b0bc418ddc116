#include "core/time_bin.h"

#include <fmt/format.h>

#include <charconv>
#include <ctime>

namespace iotcensus::core {

namespace {
// Howard Hinnant's days-from-civil algorithm, in proleptic Gregorian UTC.
int64_t days_from_civil(int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const unsigned yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<int64_t>(doe) - 719468;
}

struct Civil {
  int64_t y;
  unsigned m, d;
};
Civil civil_from_days(int64_t z) {
  z += 719468;
  const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const unsigned doe = static_cast<unsigned>(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const int64_t y = static_cast<int64_t>(yoe) + era * 400;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  const unsigned d = doy - (153 * mp + 2) / 5 + 1;
  const unsigned m = mp < 10 ? mp + 3 : mp - 9;
  return {y + (m <= 2), m, d};
}

bool parse_uint(std::string_view s, unsigned& out) {
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return ec == std::errc() && p == s.data() + s.size();
}
}  // namespace

std::string format_iso8601(int64_t time_s) {
  int64_t days = time_s / kSecondsPerDay;
  int64_t rem = time_s % kSecondsPerDay;
  if (rem < 0) {
    rem += kSecondsPerDay;
    --days;
  }
  Civil c = civil_from_days(days);
  return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z", c.y, c.m, c.d, rem / 3600,
                     (rem / 60) % 60, rem % 60);
}

std::string format_date(int64_t time_s) {
  return format_iso8601(time_s).substr(0, 10);
}

std::optional<int64_t> parse_iso8601(std::string_view t) {
  if (t.size() < 10 || t[4] != '-' || t[7] != '-') return std::nullopt;
  unsigned y, m, d;
  if (!parse_uint(t.substr(0, 4), y) || !parse_uint(t.substr(5, 2), m) ||
      !parse_uint(t.substr(8, 2), d) || m < 1 || m > 12 || d < 1 || d > 31) {
    return std::nullopt;
  }
  int64_t s = days_from_civil(y, m, d) * kSecondsPerDay;
  t.remove_prefix(10);
  if (t.empty()) return s;
  if ((t[0] != 'T' && t[0] != ' ') || t.size() < 9 || t[3] != ':' || t[6] != ':') {
    return std::nullopt;
  }
  unsigned hh, mm, ss;
  if (!parse_uint(t.substr(1, 2), hh) || !parse_uint(t.substr(4, 2), mm) ||
      !parse_uint(t.substr(7, 2), ss) || hh > 23 || mm > 59 || ss > 60) {
    return std::nullopt;
  }
  s += hh * 3600 + mm * 60 + ss;
  t.remove_prefix(9);
  if (t.empty() || t == "Z" || t == "+00:00") return s;
  return std::nullopt;
}

std::optional<int64_t> parse_bin_width(std::string_view text) {
  if (text == "minute") return 60;
  if (text == "hour") return kSecondsPerHour;
  if (text == "day") return kSecondsPerDay;
  if (text == "week") return 7 * kSecondsPerDay;
  if (text.empty()) return std::nullopt;
  int64_t unit = 1;
  switch (text.back()) {
    case 's':
      unit = 1;
      text.remove_suffix(1);
      break;
    case 'm':
      unit = 60;
      text.remove_suffix(1);
      break;
    case 'h':
      unit = kSecondsPerHour;
      text.remove_suffix(1);
      break;
    case 'd':
      unit = kSecondsPerDay;
      text.remove_suffix(1);
      break;
    case 'w':
      unit = 7 * kSecondsPerDay;
      text.remove_suffix(1);
      break;
    default:
      break;
  }
  unsigned n;
  if (!parse_uint(text, n) || n == 0) return std::nullopt;
  return int64_t{n} * unit;
}

}  // namespace iotcensus::core

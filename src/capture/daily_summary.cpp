#include "capture/daily_summary.h"

#include <charconv>
#include <cstring>

#include "core/time_bin.h"

namespace iotcensus::capture {

bool is_daily_summary(const MappedFile& file) {
  const size_t n = std::strlen(core::kDailySummaryHeader);
  return file.size() >= n && std::memcmp(file.data(), core::kDailySummaryHeader, n) == 0 &&
         (file.size() == n || file.data()[n] == '\n' || file.data()[n] == '\r');
}

bool parse_time_ns(std::string_view t, int64_t& out) {
  // "YYYY-MM-DDTHH:MM:SS[.fffffffff]Z"
  if (t.size() < 20 || t.back() != 'Z') return false;
  std::string whole(t.substr(0, 19));
  whole += "Z";
  auto s = core::parse_iso8601(whole);
  if (!s) return false;
  int64_t frac_ns = 0;
  std::string_view rest = t.substr(19, t.size() - 20);
  if (!rest.empty()) {
    if (rest[0] != '.' || rest.size() < 2 || rest.size() > 10) return false;
    int64_t scale = 100'000'000;
    for (char c : rest.substr(1)) {
      if (c < '0' || c > '9') return false;
      frac_ns += (c - '0') * scale;
      scale /= 10;
    }
  }
  out = *s * core::kNanosPerSecond + frac_ns;
  return true;
}

namespace detail {

namespace {
template <class T>
bool parse_uint(std::string_view s, T& out) {
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return ec == std::errc() && p == s.data() + s.size();
}
int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}
}  // namespace

const char* parse_daily_line(std::string_view line, DailySummaryRow& row) {
  std::string_view f[10];
  size_t n = 0, start = 0;
  for (size_t i = 0; i <= line.size() && n < 10; ++i) {
    if (i == line.size() || line[i] == ',') {
      f[n++] = line.substr(start, i - start);
      start = i + 1;
    }
  }
  if (n != 10 || start <= line.size()) return "column count";
  auto day = core::parse_iso8601(f[0]);
  if (!day || f[0].size() != 10) return "day";
  row.day_start_s = *day;
  auto src = core::Address::parse(f[1]);
  if (!src) return "src";
  row.src = *src;
  if (!parse_uint(f[2], row.src_port)) return "src_port";
  auto dst = core::Address::parse(f[3]);
  if (!dst) return "dst";
  row.dst = *dst;
  if (!parse_uint(f[4], row.dst_port)) return "dst_port";
  if (!parse_uint(f[5], row.packets) || row.packets == 0) return "packets";
  if (!parse_uint(f[6], row.bytes)) return "bytes";
  if (!parse_time_ns(f[7], row.first_ns)) return "first";
  if (!parse_time_ns(f[8], row.last_ns) || row.last_ns < row.first_ns) return "last";
  if (core::bin_start(core::floor_seconds(row.first_ns), core::kSecondsPerDay) != row.day_start_s) {
    return "first";
  }
  if (f[9].size() != 96) return "ntp_header";
  for (size_t i = 0; i < 48; ++i) {
    const int hi = hex_value(f[9][2 * i]), lo = hex_value(f[9][2 * i + 1]);
    if (hi < 0 || lo < 0) return "ntp_header";
    row.ntp_header[i] = static_cast<uint8_t>(hi << 4 | lo);
  }
  return nullptr;
}

}  // namespace detail

}  // namespace iotcensus::capture

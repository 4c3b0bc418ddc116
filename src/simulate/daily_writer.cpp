// Rows are gathered per day in a hash map keyed by (address, port), so sources that share an
// address and port (NAT'd devices on a colliding port) merge; then sorted and printed.

#include "simulate/daily_writer.h"

#include <fmt/format.h>

#include <algorithm>
#include <unordered_map>
#include <vector>

#include "core/time_bin.h"
#include "simulate/day_walk.h"
#include "simulate/frame.h"
#include "simulate/rng.h"

namespace iotcensus::simulate {

namespace {

constexpr int64_t kNs = core::kNanosPerSecond;

struct Key {
  core::Address src;
  uint16_t port;
  bool operator==(const Key&) const = default;
};
struct KeyHash {
  size_t operator()(const Key& k) const { return mix64(k.src.hi ^ mix64(k.src.lo) ^ k.port); }
};
struct Row {
  uint64_t packets = 0;
  uint64_t bytes = 0;
  int64_t first = INT64_MAX;
  int64_t last = INT64_MIN;
  uint32_t first_id = 0;
};

// "THH:MM:SS.uuuuuuZ" of a time inside the day starting at day_ns.
void append_time(std::string& out, const std::string& date, int64_t t, int64_t day_ns) {
  const int64_t in_day = t - day_ns;
  const int64_t s = in_day / kNs;
  fmt::format_to(std::back_inserter(out), "{}T{:02}:{:02}:{:02}.{:06}Z", date, s / 3600,
                 s / 60 % 60, s % 60, in_day % kNs / 1000);
}

}  // namespace

core::Result<DailyStats> write_daily(const Schedule& schedule, AddressBook& book, int64_t from_ns,
                                     int64_t to_ns, std::FILE* out, TruthTally* truth) {
  const Scenario& sc = schedule.scenario();
  const Population& pop = schedule.population();
  DailyStats stats;
  DayWalk walk(pop, core::floor_seconds(from_ns), (to_ns + kNs - 1) / kNs);
  DayPlan plan;
  std::unordered_map<Key, Row, KeyHash> rows;
  std::vector<std::pair<Key, Row>> sorted;
  std::string buf;
  static constexpr char kHex[] = "0123456789abcdef";
  if (std::fputs(core::kDailySummaryHeader, out) < 0 || std::fputc('\n', out) == EOF)
    return core::make_error(core::ErrorCode::kIo, "write error");
  while (walk.next()) {
    const int64_t day_ns = walk.day_s() * kNs;
    const int64_t day_end = day_ns + 86400 * kNs;
    const int64_t lo = std::max(from_ns, day_ns);
    const int64_t hi = std::min(to_ns, day_end);
    if (truth) truth->begin_day(walk.day_s());
    rows.clear();
    const int32_t day = day_index(walk.day_s());
    for (uint32_t id : walk.alive()) {
      schedule.plan_day(id, walk.day_s(), plan);
      const Device& d = pop.devices[id];
      uint64_t recorded = 0, written = 0;
      if (plan.sent > 0) {
        const core::Address src = book.address_on(d.slot, day);
        const uint32_t bytes = ip_bytes(src.is_v4());
        for (const Segment& s : plan.segments) {
          recorded += schedule.recorded(s, day_ns, day_end);
          const uint64_t n = schedule.recorded(s, lo, hi);
          if (n == 0) continue;
          written += n;
          int64_t k = schedule.next_recorded(s, s.index_at_or_after(lo), hi);
          if (s.port != 0) {
            Row& r = rows[Key{src, s.port}];
            const int64_t first = s.time_of(k);
            if (first < r.first) {
              r.first = first;
              r.first_id = id;
            }
            r.last = std::max(r.last, schedule.last_recorded(s, k, hi));
            r.packets += n;
            r.bytes += n * bytes;
            continue;
          }
          for (; k >= 0; k = schedule.next_recorded(s, k + 1, hi)) {
            const int64_t t = s.time_of(k);
            Row& r = rows[Key{src, schedule.port_of(id, s, t)}];
            if (t < r.first) {
              r.first = t;
              r.first_id = id;
            }
            r.last = std::max(r.last, t);
            r.packets += 1;
            r.bytes += bytes;
          }
        }
      }
      if (truth) truth->add(id, d, plan, recorded, written);
    }
    sorted.assign(rows.begin(), rows.end());
    std::sort(sorted.begin(), sorted.end(), [](const auto& a, const auto& b) {
      return a.first.src != b.first.src ? a.first.src < b.first.src : a.first.port < b.first.port;
    });
    const std::string date = core::format_date(walk.day_s());
    const std::string server4 = sc.vantage.server.to_string();
    const std::string server6 = sc.vantage.server6.to_string();
    buf.clear();
    for (const auto& [key, r] : sorted) {
      const bool v4 = key.src.is_v4();
      fmt::format_to(std::back_inserter(buf), "{},{},{},{},{},{},{},", date, key.src.to_string(),
                     key.port, v4 ? server4 : server6, kNtpPort, r.packets, r.bytes);
      append_time(buf, date, r.first, day_ns);
      buf += ',';
      append_time(buf, date, r.last, day_ns);
      buf += ',';
      for (uint8_t b : schedule.request(r.first_id, r.first)) {
        buf += kHex[b >> 4];
        buf += kHex[b & 15];
      }
      buf += '\n';
      stats.packets += r.packets;
      ++stats.rows;
    }
    if (!buf.empty() && std::fwrite(buf.data(), 1, buf.size(), out) != buf.size()) {
      return core::make_error(core::ErrorCode::kIo, "write error on the daily output");
    }
  }
  return stats;
}

}  // namespace iotcensus::simulate

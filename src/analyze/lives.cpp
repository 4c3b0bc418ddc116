#include "analyze/lives.h"

#include <algorithm>
#include <climits>
#include <deque>

#include <fmt/format.h>

#include <algorithm>

namespace iotcensus::analyze {

namespace {
constexpr double kTailShare = 0.005;  // false deaths W may leave, as a share of the devices
}  // namespace

const char* life_state_name(LifeState s) {
  switch (s) {
    case LifeState::kAlive:
      return "alive";
    case LifeState::kLost:
      return "lost-in-outage";
    case LifeState::kDead:
      return "dead";
  }
  return "?";
}

AbsenceChoice choose_absence_days(const std::vector<uint64_t>& gaps, uint64_t devices, double floor,
                                  int32_t min_days, int32_t max_days) {
  AbsenceChoice c;
  for (size_t g = 1; g < gaps.size(); ++g) c.gaps += gaps[g];
  auto at = [&](int32_t g) { return static_cast<size_t>(g) < gaps.size() ? gaps[g] : 0; };
  const double limit = std::max(1.0, floor * static_cast<double>(devices));
  // ... and the returns after longer absences, each a false death and birth, are at most
  // kTailShare of the devices (slow pollers come back after weeks: W grows with them).
  const double tail_limit = std::max(1.0, kTailShare * static_cast<double>(devices));
  auto tail = [&](int32_t w) {
    uint64_t n = 0;
    for (size_t g = static_cast<size_t>(w) + 1; g < gaps.size(); ++g) n += gaps[g];
    return static_cast<double>(n);
  };
  c.days = min_days;
  while (c.days < max_days &&
         (static_cast<double>(at(c.days + 1)) > limit || tail(c.days) > tail_limit)) {
    ++c.days;
  }
  c.longer = static_cast<uint64_t>(tail(c.days));
  c.reason =
      c.gaps == 0
          ? fmt::format("W = {} observed days (the minimum: no device was seen to come back)",
                        c.days)
          : fmt::format(
                "W = {} observed days: returns after longer absences are at most {:.0f} "
                "per day of absence (chance links) and {} of {} in all (at most 0.5 % of the "
                "devices)",
                c.days, limit, c.longer, c.gaps);
  return c;
}

namespace {

struct Entry {
  int32_t ord, day, devices;
};

// The days of a life with the devices found behind its address (empty when one throughout),
// each number counted once it was found on two days within W observed days of each other (a
// stray second sender on one day is no second device).
std::vector<Entry> supported_days(const DeviceLinker& linker, const Life& life, int32_t w) {
  std::vector<Entry> days;
  const std::vector<DayDevices>& shared = linker.shared_days_of(life.track);
  auto it = std::lower_bound(shared.begin(), shared.end(), life.first_day,
                             [](const DayDevices& s, int32_t d) { return s.day < d; });
  if (it == shared.end() || it->day > life.last_day) return days;
  linker.track_activity()[life.track].for_each_run([&](int32_t a, int32_t b) {
    for (int32_t day = std::max(a, life.first_day); day <= std::min(b, life.last_day); ++day) {
      while (it != shared.end() && it->day < day) ++it;
      days.push_back(
          {linker.ordinal(day), day, it != shared.end() && it->day == day ? it->devices : 1});
    }
  });
  std::vector<int32_t> support(days.size(), 1);
  for (int pass = 0; pass < 2; ++pass) {
    std::deque<size_t> q;  // indices, devices decreasing
    for (size_t k = 0; k < days.size(); ++k) {
      const size_t i = pass == 0 ? k : days.size() - 1 - k;
      while (!q.empty() && std::abs(days[q.front()].ord - days[i].ord) > w) q.pop_front();
      if (!q.empty()) support[i] = std::max(support[i], days[q.front()].devices);
      while (!q.empty() && days[q.back()].devices <= days[i].devices) q.pop_back();
      q.push_back(i);
    }
  }
  for (size_t i = 0; i < days.size(); ++i) days[i].devices = std::min(days[i].devices, support[i]);
  return days;
}

}  // namespace

LifeDevices life_devices(const DeviceLinker& linker, const Life& life, int32_t w) {
  LifeDevices result;
  std::vector<LevelChange>& out = result.changes;
  const std::vector<Entry> days = supported_days(linker, life, w);
  if (days.empty()) {  // one device throughout
    if (!life.left_truncated) out.push_back({life.first_day, 1});
    if (life.state == LifeState::kDead) out.push_back({life.last_day, -1});
    return result;
  }
  std::deque<Entry> window;  // a sliding maximum: devices decreasing, days increasing
  int32_t level = 0;
  auto expire = [&](int32_t before_ord) {
    while (!window.empty() && window.front().ord < before_ord) {
      const Entry e = window.front();
      window.pop_front();
      const int32_t next = window.empty() ? 0 : window.front().devices;
      if (next < level) {
        out.push_back({e.day, next - level});
        level = next;
      }
    }
  };
  for (const auto& [ord, day, n] : days) {
    expire(ord - w);  // unseen for more than W observed days
    while (!window.empty() && window.back().devices <= n) window.pop_back();
    window.push_back({ord, day, n});
    result.levels.push_back({day, static_cast<uint16_t>(window.front().devices)});
    if (n > level) {
      // A rise back after a fall is the same devices unseen for a while (a member of a group
      // can go quiet for longer than W while the group is seen): both are undone.
      int32_t rise = n - level;
      for (auto p = out.rbegin(); p != out.rend() && rise > 0; ++p) {
        if (p->delta >= 0) continue;
        const int32_t undo = std::min(rise, -p->delta);
        p->delta += undo;
        rise -= undo;
      }
      if (rise > 0 && !(life.left_truncated && ord < w)) out.push_back({day, rise});
      level = n;
    }
  }
  const auto last_ord = static_cast<int32_t>(linker.observed_days().size()) - 1;
  if (life.state == LifeState::kDead) {
    expire(INT32_MAX);
  } else if (life.state == LifeState::kAlive) {
    expire(last_ord - w);
  }
  std::erase_if(out, [](const LevelChange& c) { return c.delta == 0; });
  return result;
}

std::vector<Life> split_lives(const DeviceLinker& linker, int32_t w) {
  std::vector<Life> out;
  const auto& observed = linker.observed_days();
  if (observed.empty()) return out;
  const int32_t last_ord = static_cast<int32_t>(observed.size()) - 1;
  const auto& tracks = linker.tracks();
  const auto& activity = linker.track_activity();
  for (uint32_t id = 0; id < tracks.size(); ++id) {
    Life life;
    bool open = false;
    int32_t prev_ord = 0;
    auto close = [&](int32_t last_day, int32_t ord) {
      life.last_day = last_day;
      if (ord + w > last_ord) {
        life.state = LifeState::kAlive;
      } else {
        // An outage (an unobserved day) inside the W observed days that follow.
        const int32_t until = observed[static_cast<size_t>(ord + w)];
        life.state = (until - last_day) > w ? LifeState::kLost : LifeState::kDead;
      }
      out.push_back(life);
    };
    activity[id].for_each_run([&](int32_t a, int32_t b) {
      const int32_t ord_a = linker.ordinal(a);
      if (open && ord_a - prev_ord > w) {
        close(observed[static_cast<size_t>(prev_ord)], prev_ord);
        open = false;
      }
      if (!open) {
        life = Life{};
        life.track = id;
        life.first_day = a;
        life.left_truncated = ord_a < w;
        life.devices = static_cast<uint16_t>(linker.devices_behind(id));
        life.addresses = tracks[id].addresses;
        open = true;
      }
      life.days_active += static_cast<uint32_t>(b - a + 1);
      prev_ord = linker.ordinal(b);
    });
    if (open) close(observed[static_cast<size_t>(prev_ord)], prev_ord);
  }
  return out;
}

}  // namespace iotcensus::analyze

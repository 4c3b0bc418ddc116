// Day plans are pure functions of (seed, device, day): each decision draws from its own keyed
// stream, so a window in the middle of a scenario gives the same requests as a run from its start.

#include "simulate/schedule.h"

#include <algorithm>
#include <cmath>
#include <cstring>

#include "core/time_bin.h"
#include "simulate/rng.h"

namespace iotcensus::simulate {

namespace {

constexpr int64_t kNs = core::kNanosPerSecond;
constexpr int64_t kDayNs = 86400 * kNs;
constexpr uint16_t kEphemeralLow = 32768;  // Linux ip_local_port_range
constexpr uint16_t kEphemeralCount = 61000 - 32768;
constexpr uint16_t kNatLow = 1024;

enum Stream : uint64_t { kOnline = 2, kSession, kPhase, kDayPort, kRequestPort, kTransmit };

int64_t ceil_div(int64_t a, int64_t b) {  // b > 0
  return a >= 0 ? (a + b - 1) / b : -((-a) / b);
}

}  // namespace

uint64_t ntp_timestamp(int64_t unix_ns) {
  const int64_t s = core::floor_seconds(unix_ns);
  const int64_t frac_ns = unix_ns - s * kNs;
  const uint64_t secs = static_cast<uint64_t>(s + 2208988800LL) & 0xffffffffULL;
  const uint64_t frac = (static_cast<uint64_t>(frac_ns) << 32) / static_cast<uint64_t>(kNs);
  return (secs << 32) | frac;
}

uint64_t Segment::count(int64_t lo, int64_t hi) const {
  lo = std::max(lo, first_ns);
  hi = std::min(hi, end_ns);
  if (hi <= lo) return 0;
  const int64_t a = ceil_div(lo - first_ns, interval_ns);
  const int64_t b = ceil_div(hi - first_ns, interval_ns);
  return b > a ? static_cast<uint64_t>(b - a) : 0;
}

int64_t Segment::index_at_or_after(int64_t t) const {
  return t <= first_ns ? 0 : ceil_div(t - first_ns, interval_ns);
}

Schedule::Schedule(const Scenario& scenario, const Population& population, uint64_t seed)
    : scenario_(scenario), population_(population), seed_(seed) {
  for (const auto& e : scenario.vantage.unanswered)
    unanswered_ns_.push_back({e.from_s * kNs, e.to_s * kNs});
  for (const auto& e : scenario.vantage.outages)
    outages_ns_.push_back({e.from_s * kNs, e.to_s * kNs});
}

void Schedule::plan_day(uint32_t id, int64_t day_s, DayPlan& plan) const {
  plan.segments.clear();
  plan.sent = 0;
  const Device& d = population_.devices[id];
  const Cohort& c = scenario_.cohorts[d.cohort];
  const int64_t day_ns = day_s * kNs;
  int64_t lo = std::max({day_ns, d.birth_ns, scenario_.start_s * kNs});
  int64_t hi = std::min({day_ns + kDayNs, d.death_ns, scenario_.end_s * kNs});
  if (hi <= lo) return;
  const uint64_t day = static_cast<uint64_t>(day_s / 86400);
  if (unit_from_key(stream_key(seed_, kOnline, id, day)) >= c.activity.online_share) return;
  if (c.activity.session_hours < 24) {
    Rng rng(stream_key(seed_, kSession, id, day));
    double start_h =
        c.activity.session_start_hour + c.activity.session_start_sd_hours * rng.normal();
    start_h = std::fmod(start_h, 24.0);
    if (start_h < 0) start_h += 24.0;
    const int64_t s = day_ns + static_cast<int64_t>(start_h * 3600e9);
    const int64_t e = s + static_cast<int64_t>(c.activity.session_hours * 3600e9);
    lo = std::max(lo, s);
    hi = std::min(hi, e);
    if (hi <= lo) return;
  }
  const bool always_on = c.activity.session_hours >= 24;
  const double factor = d.interval_factor;
  const auto answered_ns =
      static_cast<int64_t>(c.client.answered[d.cadence].interval_s * factor * 1e9);
  const auto flood_ns = static_cast<int64_t>(c.client.unanswered_interval_s * factor * 1e9);
  // Cut [lo, hi) where the cadence changes (unanswered episode boundaries; not for zombies).
  int64_t t = lo;
  uint64_t seg_index = 0;
  while (t < hi) {
    bool unanswered = d.zombie;
    int64_t until = hi;
    if (!d.zombie) {
      for (const auto& [a, b] : unanswered_ns_) {
        if (t >= a && t < b) {
          unanswered = true;
          until = std::min(until, b);
          break;
        }
        if (a > t) {
          until = std::min(until, a);
          break;
        }
      }
    }
    Segment s;
    s.unanswered = unanswered;
    s.interval_ns = std::max<int64_t>(unanswered ? flood_ns : answered_ns, 1'000'000);
    const uint64_t key = stream_key(seed_, kPhase, id, day * 64 + seg_index);
    if (always_on) {
      // An always-on device keeps its clock's phase across midnight: request times are
      // anchor + k * interval in absolute time (one anchor per cadence), as a router that is
      // never restarted would send them.
      const auto anchor =
          static_cast<int64_t>(unit_from_key(stream_key(seed_, kPhase, id, s.unanswered ? 1 : 0)) *
                               static_cast<double>(s.interval_ns));
      const int64_t offset = (anchor - t) % s.interval_ns;
      s.first_ns = t + (offset < 0 ? offset + s.interval_ns : offset);
    } else {
      s.first_ns =
          t + static_cast<int64_t>(unit_from_key(key) * static_cast<double>(s.interval_ns));
    }
    s.end_ns = until;
    // Ports: fixed, per day, or per request; a NAT keeps one mapping while requests come more
    // often than its timeout, else each request opens a new mapping (a new port).
    if (d.nat) {
      const bool keeps = c.client.port_mode != PortMode::kPerRequest &&
                         static_cast<double>(s.interval_ns) < c.addressing.nat_port_timeout_s * 1e9;
      s.port =
          keeps ? static_cast<uint16_t>(kNatLow + mix64(key ^ 0x4e4154) % (65536 - kNatLow)) : 0;
    } else if (c.client.port_mode == PortMode::kFixed) {
      s.port = c.client.fixed_port;
    } else if (c.client.port_mode == PortMode::kPerDay) {
      s.port = static_cast<uint16_t>(kEphemeralLow +
                                     mix64(stream_key(seed_, kDayPort, id, day)) % kEphemeralCount);
    } else {
      s.port = 0;
    }
    const uint64_t n = s.count(s.first_ns, s.end_ns);
    if (n > 0) {
      plan.sent += n;
      plan.segments.push_back(s);
    }
    t = until;
    ++seg_index;
  }
}

bool Schedule::in_outage(int64_t t) const {
  for (const auto& [a, b] : outages_ns_) {
    if (t >= a && t < b) return true;
  }
  return false;
}

uint64_t Schedule::recorded(const Segment& s, int64_t lo, int64_t hi) const {
  uint64_t n = s.count(lo, hi);
  for (const auto& [a, b] : outages_ns_) n -= s.count(std::max(lo, a), std::min(hi, b));
  return n;
}

int64_t Schedule::next_recorded(const Segment& s, int64_t k, int64_t hi) const {
  hi = std::min(hi, s.end_ns);
  for (;;) {
    const int64_t t = s.time_of(k);
    if (t >= hi) return -1;
    bool moved = false;
    for (const auto& [a, b] : outages_ns_) {
      if (t >= a && t < b) {
        k = s.index_at_or_after(b);
        moved = true;
        break;
      }
    }
    if (!moved) return k;
  }
}

int64_t Schedule::last_recorded(const Segment& s, int64_t k_min, int64_t hi) const {
  hi = std::min(hi, s.end_ns);
  int64_t k = s.index_at_or_after(hi) - 1;
  while (k >= k_min) {
    const int64_t t = s.time_of(k);
    bool moved = false;
    for (const auto& [a, b] : outages_ns_) {
      if (t >= a && t < b) {
        k = s.index_at_or_after(a) - 1;
        moved = true;
        break;
      }
    }
    if (!moved) return t;
  }
  return -1;
}

uint16_t Schedule::port_of(uint32_t id, const Segment& s, int64_t t_ns) const {
  if (s.port != 0) return s.port;
  const uint64_t h = mix64(stream_key(seed_, kRequestPort, id, static_cast<uint64_t>(t_ns)));
  if (population_.devices[id].nat) return static_cast<uint16_t>(kNatLow + h % (65536 - kNatLow));
  return static_cast<uint16_t>(kEphemeralLow + h % kEphemeralCount);
}

std::array<uint8_t, 48> Schedule::request(uint32_t id, int64_t t_ns) const {
  const Cohort& c = scenario_.cohorts[population_.devices[id].cohort];
  std::array<uint8_t, 48> r = c.client.request;
  uint64_t v = 0;
  switch (c.client.transmit) {
    case TransmitFill::kTemplate:
      return r;
    case TransmitFill::kClock:
      v = ntp_timestamp(t_ns);
      break;
    case TransmitFill::kClockNtpdig:
      v = ntp_timestamp(t_ns) & ~uint64_t{0x7ff};
      break;
    case TransmitFill::kRandom:
      v = mix64(stream_key(seed_, kTransmit, id, static_cast<uint64_t>(t_ns)));
      break;
  }
  for (int i = 0; i < 8; ++i) r[40 + i] = static_cast<uint8_t>(v >> (56 - 8 * i));
  return r;
}

}  // namespace iotcensus::simulate

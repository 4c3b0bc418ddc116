// When a device sends, day by day: whether it is on-line, its session, and the runs of requests
// at one cadence ("segments"): answered cadence normally, the unanswered one during the vantage
// point's flood episodes (zombies always). Request k of a segment is at first_ns + k * interval_ns.
#pragma once

#include <array>
#include <cstdint>
#include <vector>

#include "simulate/population.h"
#include "simulate/scenario.h"

namespace iotcensus::simulate {

struct Segment {
  int64_t first_ns = 0;  // time of request 0
  int64_t end_ns = 0;    // no request at or after this
  int64_t interval_ns = 0;
  uint16_t port = 0;        // source port of the whole segment; 0: one per request
  bool unanswered = false;  // sending at the unanswered cadence

  // Requests in [lo, hi).
  uint64_t count(int64_t lo, int64_t hi) const;
  // Index of the first request at or after t (may be past the end).
  int64_t index_at_or_after(int64_t t) const;
  int64_t time_of(int64_t k) const { return first_ns + k * interval_ns; }
};

struct DayPlan {
  std::vector<Segment> segments;  // in time order, inside the day
  uint64_t sent = 0;              // requests sent this day (online = sent > 0)
};

class Schedule {
 public:
  Schedule(const Scenario& scenario, const Population& population, uint64_t seed);

  // Fills `plan` for device `id` on the day starting at `day_s` (midnight UTC).
  void plan_day(uint32_t id, int64_t day_s, DayPlan& plan) const;

  // Requests of a segment in [lo, hi) that fall outside every recording outage.
  uint64_t recorded(const Segment& s, int64_t lo, int64_t hi) const;
  // Is `t` inside a recording outage?
  bool in_outage(int64_t t_ns) const;
  // First recorded request index >= k in [.., hi), or -1.
  int64_t next_recorded(const Segment& s, int64_t k, int64_t hi) const;
  // Last recorded request time < hi at or after index k_min, or -1.
  int64_t last_recorded(const Segment& s, int64_t k_min, int64_t hi) const;

  // The source port of a request (segment port, or a per-request one).
  uint16_t port_of(uint32_t id, const Segment& s, int64_t t_ns) const;
  // The 48-byte request as sent at t_ns (transmit timestamp filled per the client).
  std::array<uint8_t, 48> request(uint32_t id, int64_t t_ns) const;

  const Scenario& scenario() const { return scenario_; }
  const Population& population() const { return population_; }
  uint64_t seed() const { return seed_; }

 private:
  const Scenario& scenario_;
  const Population& population_;
  uint64_t seed_;
  std::vector<std::pair<int64_t, int64_t>> unanswered_ns_;
  std::vector<std::pair<int64_t, int64_t>> outages_ns_;
};

// 32.32 NTP time of a Unix time in ns.
uint64_t ntp_timestamp(int64_t unix_ns);

}  // namespace iotcensus::simulate

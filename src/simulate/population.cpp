// Population drawing: one xoshiro stream per device for birth, lifetime, cadence, zombie, NAT,
// IPv6 and clock factor (always the same draws in the same order), then slot assignment in
// birth order, k NAT'd devices of a cohort per shared address.

#include "simulate/population.h"

#include <algorithm>
#include <cmath>

#include "core/time_bin.h"
#include "simulate/rng.h"

namespace iotcensus::simulate {

namespace {

struct Draw {
  bool v6 = false;
  bool temporary = false;
  bool is_static = true;
};

}  // namespace

Population make_population(const Scenario& scenario, double scale, uint64_t seed) {
  Population pop;
  std::vector<Draw> draws;
  for (size_t ci = 0; ci < scenario.cohorts.size(); ++ci) {
    const Cohort& c = scenario.cohorts[ci];
    const auto n = static_cast<uint64_t>(std::llround(static_cast<double>(c.count) * scale));
    pop.per_cohort.push_back(n);
    for (uint64_t i = 0; i < n; ++i) {
      Rng rng(stream_key(seed, 1, ci, i));
      Device d;
      d.cohort = static_cast<uint16_t>(ci);
      d.index_in_cohort = static_cast<uint32_t>(i);
      const double birth_s = c.births.sample(rng);
      const double life_days = c.lifetime.sample_days(rng);
      d.birth_ns = static_cast<int64_t>(std::floor(birth_s * 1e3)) * 1'000'000;
      const double death_ns = static_cast<double>(d.birth_ns) + life_days * 86400e9;
      d.death_ns = death_ns > 9e18 ? INT64_MAX : static_cast<int64_t>(death_ns);
      double u = rng.unit();
      d.cadence = static_cast<uint8_t>(c.client.answered.size() - 1);
      for (size_t k = 0; k < c.client.answered.size(); ++k) {
        if (u < c.client.answered[k].share) {
          d.cadence = static_cast<uint8_t>(k);
          break;
        }
        u -= c.client.answered[k].share;
      }
      d.zombie = rng.bernoulli(c.client.zombie_share);
      const double spread = c.client.interval_spread;
      d.interval_factor = static_cast<float>(1.0 + spread * (2 * rng.unit() - 1));
      Draw draw;
      draw.v6 = rng.bernoulli(c.addressing.ipv6_share);
      draw.temporary = rng.bernoulli(c.addressing.ipv6_temporary_share);
      draw.is_static = rng.bernoulli(c.addressing.static_share);
      const bool nat = rng.bernoulli(c.addressing.nat_share);
      d.nat = nat && !draw.v6;
      if (!draw.v6) draw.temporary = false;
      // The draw index rides in `slot` until slots are assigned below.
      d.slot = static_cast<uint32_t>(draws.size());
      draws.push_back(draw);
      pop.devices.push_back(d);
    }
  }
  std::stable_sort(pop.devices.begin(), pop.devices.end(), [](const Device& a, const Device& b) {
    if (a.birth_ns != b.birth_ns) return a.birth_ns < b.birth_ns;
    if (a.cohort != b.cohort) return a.cohort < b.cohort;
    return a.index_in_cohort < b.index_in_cohort;
  });
  // Slots in birth order; an open shared NAT address per cohort takes k devices.
  struct Open {
    uint32_t slot = 0;
    int left = 0;
  };
  std::vector<Open> open(scenario.cohorts.size());
  for (auto& d : pop.devices) {
    const Draw& draw = draws[d.slot];
    const Cohort& c = scenario.cohorts[d.cohort];
    const int32_t day = day_index(core::floor_seconds(d.birth_ns));
    const int k = c.addressing.devices_per_address;
    if (d.nat && k > 1 && open[d.cohort].left > 0) {
      d.slot = open[d.cohort].slot;
      --open[d.cohort].left;
      continue;
    }
    AddressSlot s;
    s.first_day = day;
    s.v6 = draw.v6;
    s.temporary = draw.temporary;
    s.dhcp_rate = draw.is_static ? 0.0f : static_cast<float>(c.addressing.dhcp_changes_per_day);
    d.slot = static_cast<uint32_t>(pop.slots.size());
    pop.slots.push_back(s);
    if (d.nat && k > 1) open[d.cohort] = {d.slot, k - 1};
  }
  return pop;
}

}  // namespace iotcensus::simulate

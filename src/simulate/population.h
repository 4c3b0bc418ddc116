// The simulated devices: per device its cohort, birth and death, answered cadence, zombie and
// NAT flags and address slot, drawn once from the scenario and a seed, sorted by birth.
#pragma once

#include <cstdint>
#include <vector>

#include "simulate/addressing.h"
#include "simulate/scenario.h"

namespace iotcensus::simulate {

struct Device {
  int64_t birth_ns = 0;
  int64_t death_ns = 0;  // may lie after the scenario's end
  uint32_t slot = 0;     // AddressBook slot
  uint32_t index_in_cohort = 0;
  float interval_factor = 1;  // this device's clock: every interval is scaled by it
  uint16_t cohort = 0;
  uint8_t cadence = 0;  // index into the cohort's answered cadences
  bool zombie = false;
  bool nat = false;
};

struct Population {
  std::vector<Device> devices;  // sorted by birth; the index is the device id
  std::vector<AddressSlot> slots;
  std::vector<uint64_t> per_cohort;  // devices per cohort after scaling
};

// Draws round(count * scale) devices per cohort. Each device's values come from its own stream
// (seed, cohort, index), so adding a cohort never changes the devices of the others.
Population make_population(const Scenario& scenario, double scale, uint64_t seed);

inline int32_t day_index(int64_t time_s) {
  return static_cast<int32_t>((time_s >= 0 ? time_s : time_s - 86399) / 86400);
}

}  // namespace iotcensus::simulate

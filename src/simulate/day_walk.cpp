// Alive list upkeep: append the newly born (devices are sorted by birth), drop the dead.

#include "simulate/day_walk.h"

#include <algorithm>

#include "core/time_bin.h"

namespace iotcensus::simulate {

DayWalk::DayWalk(const Population& population, int64_t from_s, int64_t to_s)
    : population_(population), next_day_s_(core::bin_start(from_s, 86400)), to_s_(to_s) {}

bool DayWalk::next() {
  if (next_day_s_ >= to_s_) return false;
  day_s_ = next_day_s_;
  next_day_s_ += 86400;
  const int64_t start_ns = day_s_ * core::kNanosPerSecond;
  const int64_t end_ns = start_ns + 86400 * core::kNanosPerSecond;
  const auto& devices = population_.devices;
  while (next_born_ < devices.size() && devices[next_born_].birth_ns < end_ns) {
    alive_.push_back(static_cast<uint32_t>(next_born_++));
  }
  std::erase_if(alive_, [&](uint32_t id) { return devices[id].death_ns <= start_ns; });
  return true;
}

}  // namespace iotcensus::simulate

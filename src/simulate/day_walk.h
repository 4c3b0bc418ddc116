// The day loop every output shares: days overlapping [from, to) in order, with the devices alive
// on each (born before the day ends, not dead before it starts), kept incrementally.
#pragma once

#include <cstdint>
#include <vector>

#include "simulate/population.h"

namespace iotcensus::simulate {

class DayWalk {
 public:
  DayWalk(const Population& population, int64_t from_s, int64_t to_s);

  // Advances to the next day; false when past `to`. Then day_s() and alive() describe it.
  bool next();
  int64_t day_s() const { return day_s_; }
  const std::vector<uint32_t>& alive() const { return alive_; }

 private:
  const Population& population_;
  int64_t next_day_s_;
  int64_t to_s_;
  int64_t day_s_ = 0;
  size_t next_born_ = 0;
  std::vector<uint32_t> alive_;
};

}  // namespace iotcensus::simulate

// Births and deaths: a linked device's record is cut into lives wherever it went unseen for more
// than W observed days; each life is right-censored, lost at an outage, or ended by a death.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "analyze/device_linker.h"

namespace iotcensus::analyze {

enum class LifeState {
  kAlive,  // seen within the last W observed days of the record: right-censored at its end
  kLost,   // the W days after it was last seen contain a vantage-point outage: censored there
  kDead,   // not seen for more than W observed days: died on the last day it was seen
};
const char* life_state_name(LifeState s);  // "alive", "lost-in-outage", "dead"

struct Life {
  uint32_t track = 0;
  int32_t first_day = 0;  // day numbers
  int32_t last_day = 0;
  uint32_t days_active = 0;
  bool left_truncated = false;  // seen in the record's first W observed days: born earlier
  LifeState state = LifeState::kAlive;
  uint16_t devices = 1;  // devices behind its address (NAT)
  uint16_t addresses = 0;
};

struct AbsenceChoice {
  int32_t days = 0;     // W
  uint64_t gaps = 0;    // reappearances seen
  uint64_t longer = 0;  // of them after more than W observed days
  std::string reason;   // one sentence for reports
};

// W from the data. Absences of a living device end in returns whose number falls fast with the
// absence's length, down to a floor of chance links; W is the shortest absence (>= min_days)
// after which returns per day of absence are at most `floor` times the number of devices and
// all later returns (each a false death and birth) at most 0.5 % of them.
AbsenceChoice choose_absence_days(const std::vector<uint64_t>& gaps, uint64_t devices,
                                  double floor = 0.001, int32_t min_days = 2,
                                  int32_t max_days = 90);

// Lives of every track, in track order. `absence_days` is W.
std::vector<Life> split_lives(const DeviceLinker& linker, int32_t absence_days);

// A change in the number of devices a life stands for (a NAT group's members come and go): a
// birth (+) on the day the number rose, a death (-) dated the last day the higher number was seen.
struct LevelChange {
  int32_t day = 0;
  int32_t delta = 0;
};

// The devices a life stands for over time: on each day seen, the most found on one day within
// the last W observed days, each number counted once found on two days within W observed days of
// each other (a stray second sender on one day is no second device).
struct LifeDevices {
  // Per day seen; only for lives that ever showed more than one device (empty for the rest).
  std::vector<DayDevices> levels;
  // Births where the number rises (not inside the record's first W days for a left-truncated
  // life), deaths where it falls; a rise back after a fall undoes the fall (members of a group
  // unseen for a while); a dead life's last devices die at its end, a censored life's do not.
  std::vector<LevelChange> changes;
};
LifeDevices life_devices(const DeviceLinker& linker, const Life& life, int32_t absence_days);

}  // namespace iotcensus::analyze

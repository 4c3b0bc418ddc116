// Survival data from lives cut out of the store's records: time = days from first to last seen
// + 1, event = death; censored when alive at the end or lost at an outage; left-truncated lives
// (born before the record, age unknown) are left out and counted.
#pragma once

#include <cstdint>
#include <vector>

#include "analyze/lives.h"
#include "analyze/survival_data.h"

namespace iotcensus::analyze {

struct LivesSurvival {
  SurvivalData data;            // one subject per life kept, in life order; no entry, no group
  uint64_t lives = 0;           // lives given
  uint64_t dead = 0;            // kept, event = 1
  uint64_t alive = 0;           // kept, censored at the end of the record
  uint64_t lost = 0;            // kept, censored at an outage
  uint64_t left_truncated = 0;  // left out: present in the record's first W observed days
};

// time = last_day - first_day + 1 (the calendar days the life spans, so a life seen on one
// day lasts 1 day: every time is > 0, as the log-time models need); event = 1 for kDead.
LivesSurvival survival_of_lives(const std::vector<Life>& lives);

}  // namespace iotcensus::analyze

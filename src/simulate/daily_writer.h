// The daily format: one CSV row per day and source (address, source port) with packets, bytes,
// first and last time and the first request's NTP header, like the per-day source summaries a
// flow tool gives an operator. Counted from the schedule, never packet by packet where avoidable.
#pragma once

#include <cstdint>
#include <cstdio>

#include "core/daily_summary_format.h"
#include "core/error.h"
#include "simulate/addressing.h"
#include "simulate/schedule.h"
#include "simulate/truth.h"

namespace iotcensus::simulate {

struct DailyStats {
  uint64_t rows = 0;
  uint64_t packets = 0;
};

core::Result<DailyStats> write_daily(const Schedule& schedule, AddressBook& book, int64_t from_ns,
                                     int64_t to_ns, std::FILE* out, TruthTally* truth);

}  // namespace iotcensus::simulate

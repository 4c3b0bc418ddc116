// Writes every recorded request of a window [from, to) to a capture, in time order. Day by day,
// each segment of each on-line device is a stream; a calendar of 1-second buckets (a ring, with a
// far list beyond its horizon) orders them, each bucket sorted by (time, stream).
#pragma once

#include <cstdint>

#include "core/error.h"
#include "simulate/addressing.h"
#include "simulate/capture_writer.h"
#include "simulate/schedule.h"
#include "simulate/truth.h"

namespace iotcensus::simulate {

struct SweepStats {
  uint64_t packets = 0;
  uint64_t device_days = 0;
};

core::Result<SweepStats> write_capture(const Schedule& schedule, AddressBook& book, int64_t from_ns,
                                       int64_t to_ns, CaptureWriter& out, TruthTally* truth);

}  // namespace iotcensus::simulate

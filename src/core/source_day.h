// One source on one UTC day as the store keeps it: requests, first and last time, and the
// devices found behind the address; what the population estimates (analyze/) start from.
#pragma once

#include <cstdint>
#include <string>

#include "core/address.h"

namespace iotcensus::core {

struct SourceDay {
  int64_t day_s = 0;
  std::string class_name;
  core::Address source;
  uint64_t packets = 0;
  int64_t first_ns = 0;  // first and last request that day (the day's start when !timed)
  int64_t last_ns = 0;
  bool timed = true;  // false for rows stored by schema version 1 (no times)
  uint32_t devices_low = 1;
  uint32_t devices = 1;
  uint32_t devices_high = 1;
  int64_t interval_ns = 0;  // period of the main sender (0: unknown)
  int64_t anchor_ns = 0;    // its last request that day
};

}  // namespace iotcensus::core

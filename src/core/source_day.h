// One source on one UTC day as the store keeps it: requests, first and last time, and the
// devices found behind the address; what the population estimates (analyze/) start from.
#pragma once

#include <algorithm>
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

// Two rows of one source in one bin (two rule masks, two captures, or the hours of one day):
// packets add, the span widens, the device counts keep the larger (the parts need not be
// different devices) and the period comes from the part with a known one, the later one first.
// For tally::BinSource and SourceDay alike; the store's upsert applies the same rule in SQL.
template <class Row>
void merge_source_rows(Row& into, const Row& from) {
  into.packets += from.packets;
  into.first_ns = std::min(into.first_ns, from.first_ns);
  into.last_ns = std::max(into.last_ns, from.last_ns);
  into.devices_low = std::max(into.devices_low, from.devices_low);
  into.devices = std::max(into.devices, from.devices);
  into.devices_high = std::max(into.devices_high, from.devices_high);
  if (into.interval_ns == 0 || (from.interval_ns != 0 && from.anchor_ns > into.anchor_ns)) {
    into.interval_ns = from.interval_ns;
    into.anchor_ns = from.anchor_ns;
  }
}

}  // namespace iotcensus::core

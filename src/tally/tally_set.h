// The mergeable result of tallying one capture: per bin and class the packet and byte sums, the
// exact sets of sources, ports and flagged sources, and per source its first/last seen and cadence.
// Classes index class_names, flags are bits of flag_names; rows are sorted and unique by key.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "classify/cadence.h"
#include "core/address.h"
#include "core/source_day.h"

namespace iotcensus::tally {

struct BinTotals {
  int64_t bin_start = 0;  // seconds since epoch, UTC
  uint16_t class_id = 0;
  uint64_t packets = 0;
  uint64_t bytes = 0;             // IP bytes (IPv4 total length; IPv6 payload length + 40)
  uint64_t evidence_packets = 0;  // packets that also met the class's evidence conditions
};

struct BinSource {
  int64_t bin_start = 0;
  uint16_t class_id = 0;
  core::Address source;
  uint64_t packets = 0;
  int64_t first_ns = 0;  // first and last request of the source in the bin
  int64_t last_ns = 0;
  // The devices behind the address in the bin (device_split.h): fewest, found, most; and the
  // period and phase (time of its last request) of the sender with the most requests.
  uint32_t devices_low = 1;
  uint32_t devices = 1;
  uint32_t devices_high = 1;
  int64_t interval_ns = 0;  // 0: unknown (one request, or no regular sender)
  int64_t anchor_ns = 0;
};

struct BinPort {
  int64_t bin_start = 0;
  uint16_t class_id = 0;
  uint16_t port = 0;
};

// The flags a source raised in a bin: bit i of `flags` is flag_names[i], raised by `packets`
// of the source's requests. One row per source and set of flags: usually one a source; more
// when its requests under different rule masks raise different flags. (Distinct sources are
// counted when reporting, so that bins of any width and overlapping captures count each once.)
struct BinFlag {
  int64_t bin_start = 0;
  uint16_t class_id = 0;
  core::Address source;
  uint64_t flags = 0;
  uint64_t packets = 0;
};

struct SourceSummary {
  core::Address source;
  uint16_t class_id = 0;
  int64_t first_ns = 0;
  int64_t last_ns = 0;
  uint64_t packets = 0;
  uint64_t bytes = 0;
  uint32_t cadence = 0;  // its inter-arrival histogram: TallySet::cadences[cadence]
};

struct TallySet {
  int64_t bin_width_s = 3600;
  std::vector<std::string> class_names;
  std::vector<std::string> flag_names;
  std::vector<BinTotals> totals;
  std::vector<BinSource> bin_sources;
  std::vector<BinPort> bin_ports;
  std::vector<BinFlag> bin_flags;
  std::vector<SourceSummary> sources;
  // The sources' histograms, each once: sources with the same histogram (most sources of a
  // flood) may share one.
  std::vector<classify::CadenceHistogram> cadences;
  const classify::CadenceHistogram& cadence_of(const SourceSummary& s) const {
    return cadences.at(s.cadence);
  }
};

}  // namespace iotcensus::tally

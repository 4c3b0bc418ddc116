// One capture file through the stages: read, decode, classify and tally in memory. Nothing is
// stored here; the ingest command stores the result in one transaction when all went well.
#pragma once

#include <string>

#include "capture/capture_file.h"
#include "capture/mapped_file.h"
#include "classify/classifier.h"
#include "core/error.h"
#include "decode/skip_reason.h"
#include "tally/tally_set.h"

namespace iotcensus::cli {

struct TalliedCapture {
  std::string format;  // "pcap", "pcapng" or "daily"
  uint64_t rows = 0;   // daily summaries: rows read (summary.records counts the packets in them)
  capture::CaptureSummary summary;
  decode::DecodeCounters counters;
  tally::TallySet tallies;
  int64_t first_ns = 0;
  int64_t last_ns = 0;
  size_t sources = 0;  // distinct (source, rule mask) entries tracked
};

// Errors: kCorruptCapture from the reader; kUnsupportedLink when no packet of the file is on a
// link type with a decoder (a file with some unsupported interfaces counts them as skipped).
core::Result<TalliedCapture> tally_capture(const capture::CaptureFile& file,
                                           const classify::Classifier& classifier,
                                           int64_t bin_width_s);

// The same for a file of per-day source summaries (capture/daily_summary.h). They only say on
// which day a source was seen, so the store's bins must be whole days (kUsage otherwise).
core::Result<TalliedCapture> tally_daily_summary(const capture::MappedFile& file,
                                                 const classify::Classifier& classifier,
                                                 int64_t bin_width_s);

}  // namespace iotcensus::cli

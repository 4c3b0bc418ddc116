// One capture file through the stages: read, decode, classify and tally in memory. Nothing is
// stored here; the ingest command stores the result in one transaction when all went well.
#pragma once

#include <string>

#include "capture/capture_file.h"
#include "classify/classifier.h"
#include "core/error.h"
#include "decode/skip_reason.h"
#include "tally/tally_set.h"

namespace iotcensus::cli {

struct TalliedCapture {
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

}  // namespace iotcensus::cli

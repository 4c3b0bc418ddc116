#include "cli/ingest_pipeline.h"

#include <fmt/format.h>

#include "decode/link.h"
#include "decode/packet_decoder.h"
#include "tally/capture_tally.h"

namespace iotcensus::cli {

core::Result<TalliedCapture> tally_capture(const capture::CaptureFile& file,
                                           const classify::Classifier& classifier,
                                           int64_t bin_width_s) {
  decode::PacketDecoder decoder;
  tally::CaptureTally tally(classifier, bin_width_s);
  core::Observation obs;
  uint32_t unsupported_link = 0;
  auto summary = file.for_each([&](const capture::RawPacket& frame) {
    if (decoder.decode(frame, obs)) {
      tally.add(obs);
    } else if (!decode::link_type_supported(frame.link_type)) {
      unsupported_link = frame.link_type;
    }
  });
  if (!summary) return summary.error();
  const auto& counters = decoder.counters();
  const uint64_t unsupported =
      counters.skipped[static_cast<size_t>(decode::SkipReason::kUnsupportedLink)];
  bool any_supported = summary->link_types.empty();
  for (uint32_t t : summary->link_types) {
    any_supported |= decode::link_type_supported(t);
    if (!decode::link_type_supported(t)) unsupported_link = t;
  }
  if (!any_supported || (counters.frames > 0 && unsupported == counters.frames)) {
    return core::make_error(
        core::ErrorCode::kUnsupportedLink,
        fmt::format("{}: unsupported link type {} (supported: Ethernet, Linux cooked v1/v2, raw "
                    "IP, BSD loopback)",
                    file.path(), unsupported_link));
  }
  TalliedCapture out;
  out.summary = summary.value();
  out.counters = counters;
  out.first_ns = tally.observations() ? tally.first_ns() : 0;
  out.last_ns = tally.observations() ? tally.last_ns() : 0;
  out.sources = tally.tracked_sources();
  out.tallies = tally.finish();
  return out;
}

}  // namespace iotcensus::cli

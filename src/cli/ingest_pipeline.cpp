#include "cli/ingest_pipeline.h"

#include <fmt/format.h>

#include "capture/daily_summary.h"
#include "core/time_bin.h"
#include "decode/link.h"
#include "decode/ntp.h"
#include "decode/packet_decoder.h"
#include "tally/capture_tally.h"

namespace iotcensus::cli {

core::Result<TalliedCapture> tally_capture(const capture::CaptureFile& file,
                                           const classify::Classifier& classifier,
                                           int64_t bin_width_s) {
  decode::PacketDecoder decoder;
  tally::CaptureTally tally(classifier, bin_width_s);
  // Observations are handed over in batches so the tally can overlap their memory accesses;
  // their payload pointers stay valid because the file stays mapped.
  core::Observation batch[tally::CaptureTally::kBatch];
  size_t pending = 0;
  uint32_t unsupported_link = 0;
  auto summary = file.for_each([&](const capture::RawPacket& frame) {
    if (decoder.decode(frame, batch[pending])) {
      if (++pending == tally::CaptureTally::kBatch) {
        tally.add_batch(batch, pending);
        pending = 0;
      }
    } else if (!decode::link_type_supported(frame.link_type)) {
      unsupported_link = frame.link_type;
    }
  });
  tally.add_batch(batch, pending);
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
  out.format = file.format() == capture::CaptureFormat::kPcap ? "pcap" : "pcapng";
  out.summary = summary.value();
  out.counters = counters;
  out.tallies = tally.finish();  // counts every packet held, before the counts below
  out.first_ns = tally.observations() ? tally.first_ns() : 0;
  out.last_ns = tally.observations() ? tally.last_ns() : 0;
  out.sources = tally.tracked_sources();
  return out;
}

core::Result<TalliedCapture> tally_daily_summary(const capture::MappedFile& file,
                                                 const classify::Classifier& classifier,
                                                 int64_t bin_width_s) {
  if (bin_width_s % core::kSecondsPerDay != 0) {
    return core::make_error(
        core::ErrorCode::kUsage,
        fmt::format("{}: per-day summaries can only be counted in bins of whole days, but the "
                    "store keeps {} s bins: ingest them into a store made with --bin-width day",
                    file.path(), bin_width_s));
  }
  tally::CaptureTally tally(classifier, bin_width_s);
  decode::DecodeCounters counters;
  core::Observation obs;
  auto rows = capture::for_each_daily_row(file, [&](const capture::DailySummaryRow& row) {
    obs = core::Observation{};
    obs.time_ns = row.first_ns;
    obs.src = row.src;
    obs.dst = row.dst;
    obs.src_port = row.src_port;
    obs.dst_port = row.dst_port;
    obs.ip_version = row.src.is_v4() ? 4 : 6;
    obs.ip_length = static_cast<uint16_t>(row.bytes / row.packets);
    obs.ntp_length = static_cast<uint16_t>(row.ntp_header.size());
    obs.udp_length = static_cast<uint16_t>(obs.ntp_length + 8);
    obs.wire_length = obs.ip_length;
    obs.payload = row.ntp_header.data();
    decode::decode_ntp({row.ntp_header.data(), row.ntp_header.size()}, obs.ntp);
    counters.frames += row.packets;
    counters.ntp += row.packets;
    tally.add_summary(obs, row.packets, row.bytes, row.last_ns);
  });
  if (!rows) return rows.error();
  TalliedCapture out;
  out.format = "daily";
  out.rows = rows.value();
  out.summary.records = counters.frames;
  out.counters = counters;
  out.tallies = tally.finish();  // counts every packet held, before the counts below
  out.first_ns = tally.observations() ? tally.first_ns() : 0;
  out.last_ns = tally.observations() ? tally.last_ns() : 0;
  out.sources = tally.tracked_sources();
  return out;
}

}  // namespace iotcensus::cli

// The header row of the per-day source summary format (docs/formats.md), written by the
// simulator and recognised by the capture readers: one definition for both sides.
#pragma once

namespace iotcensus::core {

inline constexpr const char* kDailySummaryHeader =
    "day,src,src_port,dst,dst_port,packets,bytes,first,last,ntp_header";

}  // namespace iotcensus::core

// From a captured frame to an NTP Observation: link, IP, UDP (port 123 on either side), NTP.
// Counts every frame once, as NTP or under one skip reason; never allocates, never throws.
#pragma once

#include "capture/raw_packet.h"
#include "core/observation.h"
#include "decode/skip_reason.h"

namespace iotcensus::decode {

class PacketDecoder {
 public:
  // True when `frame` held an NTP message; `obs` is then filled in (its payload points into
  // the frame). False otherwise, with the reason counted.
  bool decode(const capture::RawPacket& frame, core::Observation& obs);

  const DecodeCounters& counters() const { return counters_; }

 private:
  bool skip(SkipReason reason) {
    ++counters_.skipped[static_cast<size_t>(reason)];
    return false;
  }
  DecodeCounters counters_;
};

}  // namespace iotcensus::decode

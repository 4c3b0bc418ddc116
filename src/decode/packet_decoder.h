// From a captured frame to an NTP Observation: link, IP, UDP (port 123 on either side), NTP.
// Counts every frame once, as NTP or under one skip reason; never allocates, never throws.
#pragma once

#include "capture/raw_packet.h"
#include "core/observation.h"
#include "decode/common_frame.h"
#include "decode/skip_reason.h"

namespace iotcensus::decode {

class PacketDecoder {
 public:
  // True when `frame` held an NTP message; `obs` is then filled in (its payload points into
  // the frame). False otherwise, with the reason counted. Common frames (decode_common_frame)
  // take a fast path; every other frame the general one.
  bool decode(const capture::RawPacket& frame, core::Observation& obs) {
    if (decode_common_frame(frame, obs)) {
      ++counters_.frames;
      ++counters_.ntp;
      return true;
    }
    return decode_general(frame, obs);
  }
  // The same as decode() for every frame, without the fast path (tests compare the two).
  bool decode_general(const capture::RawPacket& frame, core::Observation& obs);

  const DecodeCounters& counters() const { return counters_; }

 private:
  bool skip(SkipReason reason) {
    ++counters_.skipped[static_cast<size_t>(reason)];
    return false;
  }
  DecodeCounters counters_;
};

}  // namespace iotcensus::decode

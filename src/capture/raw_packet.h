// A captured frame as a capture reader hands it to the decoders: a view of the bytes in the
// file, the link type of its interface and the capture time in UTC nanoseconds.
#pragma once

#include <cstdint>

namespace iotcensus::capture {

struct RawPacket {
  int64_t time_ns = 0;
  uint32_t link_type = 0;  // LINKTYPE_* value of the interface
  uint32_t captured_length = 0;
  uint32_t wire_length = 0;
  const uint8_t* data = nullptr;
};

}  // namespace iotcensus::capture

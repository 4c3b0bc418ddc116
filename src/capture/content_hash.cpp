#include "capture/content_hash.h"

#include <fmt/format.h>
#include <xxhash.h>

namespace iotcensus::capture {

std::string content_hash(const uint8_t* data, size_t size) {
  XXH128_hash_t h = XXH3_128bits(data, size);
  return fmt::format("{:016x}{:016x}", h.high64, h.low64);
}

}  // namespace iotcensus::capture

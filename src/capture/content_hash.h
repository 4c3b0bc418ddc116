// A content hash of a capture file (XXH3, 128 bits, as 32 hex digits), so the store can tell
// that a file was ingested before whatever its name is now.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

namespace iotcensus::capture {

std::string content_hash(const uint8_t* data, size_t size);

}  // namespace iotcensus::capture

#include "core/error.h"

namespace iotcensus::core {

const char* error_code_name(ErrorCode code) {
  switch (code) {
    case ErrorCode::kIo:
      return "io";
    case ErrorCode::kNotACapture:
      return "not-a-capture";
    case ErrorCode::kCorruptCapture:
      return "corrupt-capture";
    case ErrorCode::kUnsupportedLink:
      return "unsupported-link-type";
    case ErrorCode::kBadRule:
      return "bad-rule";
    case ErrorCode::kStore:
      return "store";
    case ErrorCode::kUsage:
      return "usage";
    case ErrorCode::kDuplicate:
      return "duplicate";
  }
  return "unknown";
}

}  // namespace iotcensus::core

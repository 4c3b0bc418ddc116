#include "capture/capture_file.h"

namespace iotcensus::capture {

using core::ErrorCode;
using core::make_error;

core::Error CaptureFile::corrupt(size_t offset, const std::string& what) const {
  return make_error(ErrorCode::kCorruptCapture,
                    fmt::format("{}: corrupt capture at byte {}: {}", path(), offset, what));
}

core::Result<CaptureFile> CaptureFile::open(const std::string& path) {
  auto mapped = MappedFile::open(path);
  if (!mapped) return mapped.error();
  return from(std::move(mapped.value()));
}

core::Result<CaptureFile> CaptureFile::from(MappedFile mapped) {
  CaptureFile file;
  file.file_ = std::move(mapped);
  const std::string& path = file.path();
  if (file.size() < 4) {
    return make_error(ErrorCode::kNotACapture,
                      fmt::format("{}: not a capture file ({} bytes, no pcap or pcapng magic)",
                                  path, file.size()));
  }
  const uint32_t magic = detail::load32(file.data(), false);
  const uint32_t swapped_magic = __builtin_bswap32(magic);
  if (magic == detail::kPcapMagicMicro || magic == detail::kPcapMagicNano ||
      swapped_magic == detail::kPcapMagicMicro || swapped_magic == detail::kPcapMagicNano) {
    if (file.size() < 24) {
      return make_error(
          ErrorCode::kCorruptCapture,
          fmt::format("{}: pcap file header cut short ({} of 24 bytes)", path, file.size()));
    }
    file.format_ = CaptureFormat::kPcap;
    return file;
  }
  if (magic == detail::kPcapngSectionHeader) {
    if (file.size() < 28) {
      return make_error(ErrorCode::kCorruptCapture,
                        fmt::format("{}: pcapng section header cut short", path));
    }
    file.format_ = CaptureFormat::kPcapng;
    return file;
  }
  return make_error(
      ErrorCode::kNotACapture,
      fmt::format("{}: not a capture file (magic {:08x} is neither pcap nor pcapng)", path, magic));
}

}  // namespace iotcensus::capture

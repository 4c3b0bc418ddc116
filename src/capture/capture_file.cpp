#include "capture/capture_file.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace iotcensus::capture {

using core::ErrorCode;
using core::make_error;

CaptureFile::CaptureFile(CaptureFile&& o) noexcept
    : path_(std::move(o.path_)), data_(o.data_), size_(o.size_), format_(o.format_) {
  o.data_ = nullptr;
  o.size_ = 0;
}

CaptureFile& CaptureFile::operator=(CaptureFile&& o) noexcept {
  if (this != &o) {
    if (data_ != nullptr && size_ > 0) munmap(const_cast<uint8_t*>(data_), size_);
    path_ = std::move(o.path_);
    data_ = o.data_;
    size_ = o.size_;
    format_ = o.format_;
    o.data_ = nullptr;
    o.size_ = 0;
  }
  return *this;
}

CaptureFile::~CaptureFile() {
  if (data_ != nullptr && size_ > 0) munmap(const_cast<uint8_t*>(data_), size_);
}

core::Error CaptureFile::corrupt(size_t offset, const std::string& what) const {
  return make_error(ErrorCode::kCorruptCapture,
                    fmt::format("{}: corrupt capture at byte {}: {}", path_, offset, what));
}

core::Result<CaptureFile> CaptureFile::open(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    return make_error(ErrorCode::kIo, fmt::format("{}: cannot open: {}", path, strerror(errno)));
  }
  struct stat st {};
  if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    ::close(fd);
    return make_error(ErrorCode::kIo, fmt::format("{}: not a regular file", path));
  }
  CaptureFile file;
  file.path_ = path;
  file.size_ = static_cast<size_t>(st.st_size);
  if (file.size_ > 0) {
    void* p = mmap(nullptr, file.size_, PROT_READ, MAP_PRIVATE, fd, 0);
    if (p == MAP_FAILED) {
      ::close(fd);
      file.size_ = 0;
      return make_error(ErrorCode::kIo, fmt::format("{}: cannot map: {}", path, strerror(errno)));
    }
    madvise(p, file.size_, MADV_SEQUENTIAL | MADV_WILLNEED);
    file.data_ = static_cast<const uint8_t*>(p);
  }
  ::close(fd);

  if (file.size_ < 4) {
    return make_error(ErrorCode::kNotACapture,
                      fmt::format("{}: not a capture file ({} bytes, no pcap or pcapng magic)",
                                  path, file.size_));
  }
  const uint32_t magic = detail::load32(file.data_, false);
  const uint32_t swapped_magic = __builtin_bswap32(magic);
  if (magic == detail::kPcapMagicMicro || magic == detail::kPcapMagicNano ||
      swapped_magic == detail::kPcapMagicMicro || swapped_magic == detail::kPcapMagicNano) {
    if (file.size_ < 24) {
      return make_error(ErrorCode::kCorruptCapture,
                        fmt::format("{}: pcap file header cut short ({} of 24 bytes)", path,
                                    file.size_));
    }
    file.format_ = CaptureFormat::kPcap;
    return file;
  }
  if (magic == detail::kPcapngSectionHeader) {
    if (file.size_ < 28) {
      return make_error(ErrorCode::kCorruptCapture,
                        fmt::format("{}: pcapng section header cut short", path));
    }
    file.format_ = CaptureFormat::kPcapng;
    return file;
  }
  return make_error(ErrorCode::kNotACapture,
                    fmt::format("{}: not a capture file (magic {:08x} is neither pcap nor pcapng)",
                                path, magic));
}

}  // namespace iotcensus::capture

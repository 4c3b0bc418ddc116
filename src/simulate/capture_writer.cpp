// pcap: 24-byte header (magic a1b2c3d4, v2.4, snaplen 65535, LINKTYPE_ETHERNET), 16-byte record
// headers. pcapng: SHB, IDB (if_tsresol 9), one EPB per frame padded to 32 bits; little-endian.

#include "simulate/capture_writer.h"

#include <cstring>
#include <system_error>
#include <utility>

namespace iotcensus::simulate {

namespace {

constexpr size_t kBuffer = 4u << 20;
constexpr size_t kBuffers = 4;            // one being filled, up to three queued or being written
constexpr size_t kRecordRoom = 64 + 256;  // headers plus the largest frame

void le16(uint8_t* p, uint16_t v) {
  p[0] = static_cast<uint8_t>(v);
  p[1] = static_cast<uint8_t>(v >> 8);
}
void le32(uint8_t* p, uint32_t v) {
  le16(p, static_cast<uint16_t>(v));
  le16(p + 2, static_cast<uint16_t>(v >> 16));
}

}  // namespace

CaptureWriter::CaptureWriter(std::FILE* file, CaptureFormat format) : file_(file), format_(format) {
  for (size_t i = 0; i < kBuffers; ++i) {
    buffers_.emplace_back(new uint8_t[kBuffer]);
    free_.push_back(buffers_.back().get());
  }
  buffer_ = free_.back();
  free_.pop_back();
  try {
    writer_ = std::thread([this] { write_loop(); });
  } catch (const std::system_error&) {
    // No thread: hand_over() writes in line.
  }
  uint8_t* p = buffer_;
  if (format_ == CaptureFormat::kPcap) {
    std::memset(p, 0, 24);
    le32(p, 0xa1b2c3d4);
    le16(p + 4, 2);
    le16(p + 6, 4);
    le32(p + 16, 65535);
    le32(p + 20, 1);
    used_ = 24;
    return;
  }
  // Section header block (28 bytes, no options).
  le32(p, 0x0a0d0d0a);
  le32(p + 4, 28);
  le32(p + 8, 0x1a2b3c4d);
  le16(p + 12, 1);
  le16(p + 14, 0);
  std::memset(p + 16, 0xff, 8);  // section length unknown
  le32(p + 24, 28);
  p += 28;
  // Interface description block: link type 1, snaplen 65535, if_tsresol = 9 (nanoseconds).
  le32(p, 1);
  le32(p + 4, 32);
  le16(p + 8, 1);
  le16(p + 10, 0);
  le32(p + 12, 65535);
  le16(p + 16, 9);  // if_tsresol
  le16(p + 18, 1);
  p[20] = 9;
  p[21] = p[22] = p[23] = 0;
  le32(p + 24, 0);  // opt_endofopt
  le32(p + 28, 32);
  used_ = 28 + 32;
}

CaptureWriter::~CaptureWriter() {
  hand_over();
  stop_writer();
}

void CaptureWriter::hand_over() {
  if (used_ == 0) return;
  const Full full{buffer_, used_};
  used_ = 0;
  if (!writer_.joinable()) {
    if (!failed_ && std::fwrite(full.data, 1, full.len, file_) != full.len) failed_ = true;
    return;
  }
  std::unique_lock lock(mutex_);
  full_.push_back(full);
  changed_.notify_all();
  changed_.wait(lock, [&] { return !free_.empty(); });
  buffer_ = free_.back();
  free_.pop_back();
}

void CaptureWriter::write_loop() {
  std::unique_lock lock(mutex_);
  for (;;) {
    changed_.wait(lock, [&] { return !full_.empty() || closing_; });
    if (full_.empty()) return;  // closing, and everything written
    const Full full = full_.front();
    full_.erase(full_.begin());
    bool ok = !failed_;
    lock.unlock();
    if (ok) ok = std::fwrite(full.data, 1, full.len, file_) == full.len;
    lock.lock();
    if (!ok) failed_ = true;
    free_.push_back(full.data);
    changed_.notify_all();
  }
}

void CaptureWriter::stop_writer() {
  if (!writer_.joinable()) return;
  {
    std::lock_guard lock(mutex_);
    closing_ = true;
  }
  changed_.notify_all();
  writer_.join();
}

uint8_t* CaptureWriter::begin_record(int64_t time_ns, size_t /*max_len*/) {
  if (used_ + kRecordRoom > kBuffer) hand_over();
  pending_ = used_;
  pending_time_ = time_ns;
  return buffer_ + used_ + (format_ == CaptureFormat::kPcap ? 16 : 28);
}

void CaptureWriter::commit(size_t len) {
  uint8_t* r = buffer_ + pending_;
  const auto t = static_cast<uint64_t>(pending_time_);
  if (format_ == CaptureFormat::kPcap) {
    le32(r, static_cast<uint32_t>(t / 1'000'000'000));
    le32(r + 4, static_cast<uint32_t>(t % 1'000'000'000 / 1000));
    le32(r + 8, static_cast<uint32_t>(len));
    le32(r + 12, static_cast<uint32_t>(len));
    used_ += 16 + len;
  } else {
    const size_t padded = (len + 3) & ~size_t{3};
    const auto total = static_cast<uint32_t>(32 + padded);
    le32(r, 6);
    le32(r + 4, total);
    le32(r + 8, 0);  // interface 0
    le32(r + 12, static_cast<uint32_t>(t >> 32));
    le32(r + 16, static_cast<uint32_t>(t));
    le32(r + 20, static_cast<uint32_t>(len));
    le32(r + 24, static_cast<uint32_t>(len));
    std::memset(r + 28 + len, 0, padded - len);
    le32(r + 28 + padded, total);
    used_ += total;
  }
  ++records_;
}

core::Status CaptureWriter::finish() {
  hand_over();
  stop_writer();  // the writer thread has written every buffer and is gone
  if (failed_ || std::fflush(file_) != 0) {
    return core::make_error(core::ErrorCode::kIo, "write error on the capture output");
  }
  return core::Ok{};
}

}  // namespace iotcensus::simulate

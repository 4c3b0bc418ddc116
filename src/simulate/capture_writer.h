// Capture files of simulated requests: classic pcap (microsecond) or pcapng (one Ethernet
// interface, nanosecond timestamps), buffered; a status, never an exception, on write errors.
#pragma once

#include <cstdint>
#include <cstdio>
#include <memory>

#include "core/error.h"

namespace iotcensus::simulate {

enum class CaptureFormat { kPcap, kPcapng };

class CaptureWriter {
 public:
  CaptureWriter(std::FILE* file, CaptureFormat format);
  ~CaptureWriter();
  CaptureWriter(const CaptureWriter&) = delete;
  CaptureWriter& operator=(const CaptureWriter&) = delete;

  // Room for one frame of at most `max_len` bytes stamped `time_ns`; call commit() after.
  uint8_t* begin_record(int64_t time_ns, size_t max_len);
  void commit(size_t len);
  core::Status finish();  // flushes; the first write error, if any
  uint64_t records() const { return records_; }

 private:
  bool flush();
  std::FILE* file_;
  CaptureFormat format_;
  std::unique_ptr<uint8_t[]> buffer_;
  size_t used_ = 0;
  size_t pending_ = 0;  // offset of the record being written
  int64_t pending_time_ = 0;
  uint64_t records_ = 0;
  bool failed_ = false;
};

}  // namespace iotcensus::simulate

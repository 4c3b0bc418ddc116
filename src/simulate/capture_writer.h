// Capture files of simulated requests: classic pcap (microsecond) or pcapng (one Ethernet
// interface, nanosecond timestamps), buffered; a status, never an exception, on write errors.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <cstdio>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "core/error.h"

namespace iotcensus::simulate {

enum class CaptureFormat { kPcap, kPcapng };

// Records are assembled in large buffers; a full buffer goes to a writer thread, which writes it
// with one call while the caller fills the next one (write() into the page cache costs about as
// much CPU as generating the requests). Without a thread, buffers are written in line.
class CaptureWriter {
 public:
  CaptureWriter(std::FILE* file, CaptureFormat format);
  ~CaptureWriter();
  CaptureWriter(const CaptureWriter&) = delete;
  CaptureWriter& operator=(const CaptureWriter&) = delete;

  // Room for one frame of at most `max_len` bytes stamped `time_ns`; call commit() after.
  uint8_t* begin_record(int64_t time_ns, size_t max_len);
  void commit(size_t len);
  core::Status finish();  // writes what is left and waits for the writer; the first write error
  uint64_t records() const { return records_; }

 private:
  struct Full {
    uint8_t* data;
    size_t len;
  };
  void hand_over();  // queues the current buffer for writing and takes an empty one
  void write_loop();
  void stop_writer();

  std::FILE* file_;
  CaptureFormat format_;
  std::vector<std::unique_ptr<uint8_t[]>> buffers_;
  uint8_t* buffer_ = nullptr;  // the one being filled
  size_t used_ = 0;
  size_t pending_ = 0;  // offset of the record being written
  int64_t pending_time_ = 0;
  uint64_t records_ = 0;

  // Shared with the writer thread, under mutex_.
  std::mutex mutex_;
  std::condition_variable changed_;
  std::vector<Full> full_;      // oldest first
  std::vector<uint8_t*> free_;  // empty buffers
  bool closing_ = false;
  bool failed_ = false;
  std::thread writer_;
};

}  // namespace iotcensus::simulate

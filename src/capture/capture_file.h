// Reads pcap (both byte orders, micro- and nanosecond) and pcapng (any number of sections and
// interfaces, both byte orders) from a memory-mapped file; the format is told by magic number.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "capture/mapped_file.h"
#include "capture/raw_packet.h"
#include "core/error.h"

namespace iotcensus::capture {

enum class CaptureFormat { kPcap, kPcapng };

// What a reader learned about a file while reading it.
struct CaptureSummary {
  CaptureFormat format = CaptureFormat::kPcap;
  uint64_t records = 0;            // packet records handed to the caller
  uint64_t unknown_interface = 0;  // pcapng packets naming an interface never described
  uint64_t other_blocks = 0;       // pcapng blocks that are not packets (statistics, names...)
  uint32_t sections = 0;
  uint32_t interfaces = 0;
  std::vector<uint32_t> link_types;  // of every interface described (pcap: the one)
  bool cut_short = false;            // the file ends inside a record; what came before was read
  std::string cut_short_detail;
};

class CaptureFile {
 public:
  // Maps the file and checks its first block. Errors: kIo, kNotACapture, kCorruptCapture.
  static core::Result<CaptureFile> open(const std::string& path);
  // Takes over an already mapped file (the caller peeked at it to choose a reader).
  static core::Result<CaptureFile> from(MappedFile file);

  const std::string& path() const { return file_.path(); }
  const uint8_t* data() const { return file_.data(); }
  size_t size() const { return file_.size(); }
  CaptureFormat format() const { return format_; }

  // Calls `visit(const RawPacket&)` for every packet in file order. A structurally broken file
  // returns kCorruptCapture (packets already visited stay visited: callers tally into memory
  // and commit only on success); a file cut short inside its last record is not an error.
  template <class Visitor>
  core::Result<CaptureSummary> for_each(Visitor&& visit) const;

 private:
  CaptureFile() = default;
  template <class Visitor>
  core::Result<CaptureSummary> read_pcap(Visitor& visit) const;
  template <class Visitor>
  core::Result<CaptureSummary> read_pcapng(Visitor& visit) const;
  core::Error corrupt(size_t offset, const std::string& what) const;

  MappedFile file_;
  CaptureFormat format_ = CaptureFormat::kPcap;
};

}  // namespace iotcensus::capture

#include "capture/capture_file_inl.h"

// Tallies the NTP observations of one capture in memory: one hash lookup per packet into a
// table of sources (address x rule mask), then, at the end, classes resolved with cadence and
// rows made per bin. Nothing is written anywhere until the caller stores the TallySet.
#pragma once

#include <cstdint>
#include <vector>

#include "classify/cadence.h"
#include "classify/classifier.h"
#include "core/observation.h"
#include "tally/device_split.h"
#include "tally/flat_map.h"
#include "tally/tally_set.h"

namespace iotcensus::tally {

class CaptureTally {
 public:
  CaptureTally(const classify::Classifier& classifier, int64_t bin_width_s);

  void add(const core::Observation& obs);
  // The same as add() for each of `n` observations, overlapping their memory accesses: the
  // table slots of all are fetched, then the sources, then each is counted.
  void add_batch(const core::Observation* obs, size_t n);
  static constexpr size_t kBatch = 16;
  // A summary of `packets` requests of one source in one bin (a flow record, a daily summary
  // row): `first` describes the first request; the others share its header and port, and their
  // mean interval is (last_ns - first.time_ns) / (packets - 1).
  void add_summary(const core::Observation& first, uint64_t packets, uint64_t bytes,
                   int64_t last_ns);

  // Resolves classes and flags and builds the rows; call once after the last add().
  TallySet finish();

  uint64_t observations() const { return observations_; }
  size_t tracked_sources() const { return entries_.size(); }
  int64_t first_ns() const { return first_ns_; }
  int64_t last_ns() const { return last_ns_; }

 private:
  struct EntryKey {
    core::Address address;
    uint64_t mask = 0;
    friend bool operator==(const EntryKey&, const EntryKey&) = default;
  };
  struct EntryKeyHash {
    uint64_t operator()(const EntryKey& k) const {
      return mix64(k.address.hi * 0x9e3779b97f4a7c15ULL ^ k.address.lo ^
                   (k.mask * 0xc2b2ae3d27d4eb4fULL));
    }
  };
  // Per (source address, rule mask); the current bin is kept inline and spilled on change.
  struct Entry {
    EntryKey key;
    int64_t first_ns = 0;
    int64_t last_ns = 0;
    uint64_t packets = 0;
    uint64_t bytes = 0;
    int64_t bin = INT64_MIN;
    uint64_t bin_packets = 0;
    uint64_t bin_bytes = 0;
    uint64_t bin_evidence = 0;
    int leading_class = -1;
    uint16_t last_port = 0;
    uint32_t bin_trains = 0;  // trains of the current bin already in trains_
    Train train;              // the current train (run on one source port) of the current bin
    classify::CadenceHistogram cadence;
  };
  struct BinRecord {
    uint32_t entry;
    int64_t bin;
    uint64_t packets;
    uint64_t bytes;
    uint64_t evidence;
    Train train;  // the bin's only train, or (multi) its last one, also in trains_
    bool multi;
  };
  struct TrainRecord {
    uint32_t entry;
    int64_t bin;
    Train train;
  };
  struct PortKey {
    uint32_t entry;
    uint16_t port;
    int64_t bin;
    friend bool operator==(const PortKey&, const PortKey&) = default;
  };
  struct PortKeyHash {
    uint64_t operator()(const PortKey& k) const {
      return mix64((uint64_t{k.entry} << 16 | k.port) ^
                   static_cast<uint64_t>(k.bin) * 0x9e3779b97f4a7c15ULL);
    }
  };
  struct Unit {};

  void spill(uint32_t index, Entry& e);
  void add_packets(const core::Observation& obs, uint64_t packets, uint64_t bytes, int64_t last_ns);
  void add_packets(const core::Observation& obs, uint64_t mask, uint64_t packets, uint64_t bytes,
                   int64_t last_ns);
  uint32_t entry_index(const core::Address& source, uint64_t mask);

  const classify::Classifier& classifier_;
  int64_t bin_width_s_;
  FlatMap<EntryKey, uint32_t, EntryKeyHash> index_;
  std::vector<Entry> entries_;
  std::vector<BinRecord> bins_;
  std::vector<TrainRecord> trains_;  // trains of (entry, bin) pairs that have more than one
  FlatMap<PortKey, Unit, PortKeyHash> ports_;
  uint64_t observations_ = 0;
  int64_t first_ns_ = INT64_MAX;
  int64_t last_ns_ = INT64_MIN;
};

}  // namespace iotcensus::tally

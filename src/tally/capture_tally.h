// Tallies the NTP observations of one capture in memory: packets are matched and filed by
// source hash, then counted partition by partition into a table of sources (address x rule mask)
// that stays in cache; at the end, classes are resolved with cadence and rows made per bin.
#pragma once

#include <cstdint>
#include <utility>
#include <vector>

#include "classify/cadence.h"
#include "classify/cadence_bucket.h"
#include "classify/classifier.h"
#include "classify/match_cache.h"
#include "core/observation.h"
#include "tally/chunked_array.h"
#include "tally/dense_ids.h"
#include "tally/device_split.h"
#include "tally/flat_map.h"
#include "tally/partition_buffer.h"
#include "tally/source_index.h"
#include "tally/tally_set.h"

namespace iotcensus::tally {

class CaptureTally {
 public:
  // Packets are held (32 bytes each) until `round_packets` are, then counted: the more a round
  // holds, the more packets of each source are counted while its entry is in cache, but the
  // more memory the held packets take. 2^21 (64 MB) was the fastest of 2^19 to 2^24 on 10M
  // packets from 1M sources (docs/benchmarks.md).
  static constexpr size_t kRoundPackets = size_t{1} << 21;
  CaptureTally(const classify::Classifier& classifier, int64_t bin_width_s,
               size_t round_packets = kRoundPackets);

  void add(const core::Observation& obs) { add_batch(&obs, 1); }
  // The same as add() for each of `n` observations: each is matched against the rules now and
  // held (its payload is not needed later) until the round is counted.
  void add_batch(const core::Observation* obs, size_t n);
  static constexpr size_t kBatch = 64;  // observations a caller should hand over at once
  // A summary of `packets` requests of one source in one bin (a flow record, a daily summary
  // row): `first` describes the first request; the others share its header and port, and their
  // mean interval is (last_ns - first.time_ns) / (packets - 1).
  void add_summary(const core::Observation& first, uint64_t packets, uint64_t bytes,
                   int64_t last_ns);

  // Resolves classes and flags and builds the rows; call once after the last add().
  TallySet finish();

  // These count packets already counted: all of them after finish().
  uint64_t observations() const { return observations_; }
  size_t tracked_sources() const { return hot_.size(); }
  // The first and last packet times; after finish() only.
  int64_t first_ns() const { return first_ns_; }
  int64_t last_ns() const { return last_ns_; }

 private:
  struct EntryKey {
    core::Address address;
    uint64_t mask = 0;
    friend bool operator==(const EntryKey&, const EntryKey&) = default;
  };
  struct IntHash {
    uint64_t operator()(uint64_t k) const { return mix64(k); }
  };
  // The partition of a packet: a hash of its address alone, so that the entries of one address
  // (under several masks) are counted in the order of their packets. A multiplicative hash's
  // top bits (a few instructions a packet), unrelated to the index's, which take mix64's.
  static constexpr int kPartitionBits = 8;
  static uint64_t address_hash(const core::Address& a) {
    return mix64(a.hi * 0x9e3779b97f4a7c15ULL ^ a.lo);
  }
  static size_t partition_of(const core::Address& a) {
    return ((a.hi * 0xc2b2ae3d27d4eb4fULL ^ a.lo) * 0x9e3779b97f4a7c15ULL) >> (64 - kPartitionBits);
  }
  // An entry's hash in its partition's index.
  static uint64_t entry_hash(uint64_t address_hash, uint32_t mask_id) {
    return address_hash ^ (uint64_t{mask_id} * 0xc2b2ae3d27d4eb4fULL);
  }
  // A packet held between add_batch() and its counting: what counting reads of it.
  struct Pending {
    core::Address src;
    int64_t time_ns;
    uint32_t mask_id;  // MatchCache's number of the mask, and kEvidence
    uint16_t ip_length;
    uint16_t src_port;
  };
  static_assert(sizeof(Pending) == 32);
  static constexpr uint32_t kEvidence = uint32_t{1} << 31;  // met the leading class's evidence
  // An entry per (source address, rule mask), whole: what add_packets and finish() work on.
  // It is stored in two parts, Hot and Cold (pack, unpack).
  struct Entry {
    EntryKey key;
    uint32_t mask_id = 0;  // of key.mask
    int64_t last_ns = 0;
    int64_t bin = INT64_MIN;
    uint64_t bin_packets = 0;
    uint64_t bin_bytes = 0;
    uint64_t bin_evidence = 0;
    Train train;  // the current train (run on one source port) of the current bin
    uint64_t packets = 0;
    uint64_t bytes = 0;
    int64_t first_ns = 0;
    uint32_t bin_trains = 0;  // trains of the current bin already in trains_
    uint16_t last_port = 0;
    uint16_t cadence_run = 0;   // intervals in cadence_bucket not yet in the histogram
    int8_t leading_class = -1;  // a rule index (< Classifier::kMaxRules) or -1
    uint8_t cadence_bucket = 0;
  };
  // The cache line a packet in order, in the entry's current bin and train, reads and writes
  // (add_batch's fast path); anything else unpacks the entry. Counters keep their low bits
  // here and the rest in Cold.
  struct alignas(64) Hot {
    core::Address address;
    int64_t last_ns = 0;
    int64_t train_first_ns = 0;
    uint32_t mask_id = 0;  // MatchCache's number of the rule mask
    uint32_t bin_id = 0;   // 1 + bin_ids_; 0: no bin yet
    uint32_t bin_packets = 0;
    uint32_t bin_bytes = 0;
    uint32_t bin_evidence = 0;
    uint16_t train_packets = 0;
    uint16_t last_port = 0;
    uint16_t cadence_run = 0;
    uint8_t cadence_bucket = 0;
    uint8_t state = 0;  // kHasPackets, kTrainLastApart
  };
  static_assert(sizeof(Hot) == 64);
  static constexpr uint8_t kHasPackets = 1;      // Entry::packets > 0
  static constexpr uint8_t kTrainLastApart = 2;  // train.last_ns != last_ns: in Cold
  struct alignas(64) Cold {
    uint32_t cadence = 0;  // 1 + index into cadences_; 0: none yet (an empty histogram)
    int64_t first_ns = 0;
    uint64_t earlier_packets = 0;  // packets and bytes of the spilled bins
    uint64_t earlier_bytes = 0;
    int64_t train_last_ns = 0;
    uint64_t train_packets_high = 0;  // train.packets >> 16
    uint32_t bin_packets_high = 0;    // >> 32, likewise
    uint32_t bin_bytes_high = 0;
    uint32_t bin_evidence_high = 0;
    uint32_t bin_trains = 0;
  };
  static_assert(sizeof(Cold) == 64);
  struct BinRecord {
    uint32_t entry;
    bool multi;
    int64_t bin;
    uint64_t packets;
    uint64_t bytes;
    uint64_t evidence;
    Train train;  // the bin's only train, or (multi) its last one, also in trains_
  };
  static_assert(sizeof(BinRecord) == 64);
  struct TrainRecord {
    uint32_t entry;
    int64_t bin;
    Train train;
  };
  struct PortKey {
    int64_t bin;
    uint32_t entry;
    uint16_t port;
    friend auto operator<=>(const PortKey&, const PortKey&) = default;
  };

  Entry unpack(uint32_t index) const;
  void pack(uint32_t index, const Entry& e);
  // The packet's rule mask, numbered (MatchCache::Match::id), and whether the packet met the
  // evidence conditions of the mask's leading class.
  std::pair<uint32_t, bool> match(const core::Observation& o);
  // Counts the packets held, partition by partition.
  void count_pending();
  // Counts `n` packets of one partition, in order, overlapping their memory accesses: a
  // software pipeline fetches index slots, then candidate entries, a few packets ahead.
  void count_run(size_t partition, const Pending* p, size_t n);
  // One packet through the Hot line alone; false (and nothing done) if it needs more.
  [[gnu::always_inline]] inline bool add_fast(const Pending& p, uint32_t index);
  // add_fast's packet on a new source port: the entry's train so far is recorded, and the
  // packet (not counted here) starts the next.
  [[gnu::noinline]] void start_train(const Pending& p, uint32_t index);
  void spill(uint32_t index, Entry& e);
  // Records the entry's current bin (it has one) as spill() would, read from its Hot and Cold
  // as they are, which are left unchanged (finish()).
  void spill_current(uint32_t index);
  // Moves the entry's held-back run of intervals (of an Entry or Hot) into its histogram.
  template <class E>
  void flush_cadence(uint32_t index, E& e);
  // One interval of the entry, >= 0.
  template <class E>
  [[gnu::always_inline]] inline void add_interval(uint32_t index, E& e, int64_t interval_ns);

  // The entry's histogram, made on first use; or its cadence so far (runs flushed), for finish().
  classify::CadenceHistogram& cadence_of(uint32_t index);
  template <class E>
  classify::CadenceHistogram cadence_now(uint32_t index, const E& e) const;
  // The part of an entry that its source's summary reads (as unpack() has it).
  struct EntryTotals {
    int64_t first_ns, last_ns;
    uint64_t packets, bytes;
    uint16_t cadence_run;
    uint8_t cadence_bucket;
  };
  EntryTotals totals_of(uint32_t index) const;
  // Records that the entry used the port in the bin. Appended (duplicates and all) rather than
  // inserted into a set: no random access per packet; duplicates go when the list doubles.
  void note_port(const PortKey& key);
  // Counts `packets` requests (one, or a summary's) of the entry; `first` is the first.
  void add_packets(const Pending& first, uint32_t index, uint64_t packets, uint64_t bytes,
                   int64_t last_ns);
  // Makes the entry of (p.src, mask_id), which is not in the index, out of its first packet p
  // (not a summary): add_packets() of p on the entry entry_index() would make, in one step.
  [[gnu::noinline]] void add_first(SourceIndex& index, const Pending& p, uint32_t mask_id,
                                   uint64_t hash);
  // The entry of (source, mask_id), made if new; `hash` is its entry_hash.
  uint32_t entry_index(SourceIndex& index, const core::Address& source, uint32_t mask_id,
                       uint64_t hash);
  // core::bin_start of the packet's second, without dividing while packets stay in one bin;
  // sets cached_bin_id_.
  int64_t bin_of(int64_t time_ns);

  const classify::Classifier& classifier_;
  classify::MatchCache matches_;  // per packet shape; numbers the masks (Hot::mask_id)
  // CadenceHistogram's buckets (the same as its in_bucket and bucket_of, without their check
  // that the table is made, per packet).
  const classify::CadenceBucketTable& cadence_buckets_;
  int64_t bin_width_s_;
  size_t round_packets_;
  // Packets matched but not counted yet, by partition; 1024 of them (32 KB) a block.
  PartitionBuffer<Pending, kPartitionBits, 1024> pending_;
  // (source, mask) -> entry number, one index a partition: a partition's index stays in cache
  // while its packets are counted.
  std::vector<SourceIndex> indexes_;
  // 2^16 lines a chunk: 4 MB, two huge pages exactly; likewise 2^15 bin records.
  ChunkedArray<Hot, 16> hot_;
  ChunkedArray<Cold, 16> cold_;
  // Histograms of the entries whose intervals did not all fall in one bucket (Cold::cadence).
  ChunkedArray<classify::CadenceHistogram, 16> cadences_;
  ChunkedArray<BinRecord, 15> bins_;
  std::vector<TrainRecord> trains_;  // trains of (entry, bin) pairs that have more than one
  std::vector<PortKey> ports_;
  size_t ports_unique_ = 0;  // length of ports_ after its last de-duplication
  int64_t bin_lo_ns_ = 0, bin_hi_ns_ = 0, cached_bin_ = 0;  // [lo, hi) lies in cached_bin_
  uint32_t cached_bin_id_ = 0;                              // Hot::bin_id of cached_bin_
  DenseIds<int64_t, IntHash> bin_ids_;                      // bins seen (Hot::bin_id - 1)
  uint64_t observations_ = 0;
  int64_t first_ns_ = INT64_MAX;
  int64_t last_ns_ = INT64_MIN;
};

}  // namespace iotcensus::tally

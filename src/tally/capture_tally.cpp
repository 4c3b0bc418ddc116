#include "tally/capture_tally.h"

#include <algorithm>
#include <bit>
#include <climits>
#include <tuple>

#include "core/time_bin.h"
#include "tally/dense_ids.h"
#include "tally/key_order.h"
#include "tally/radix_sort.h"

namespace iotcensus::tally {

namespace {
struct BinClassKey {
  int64_t bin;
  uint16_t class_id;
  friend bool operator==(const BinClassKey&, const BinClassKey&) = default;
};
struct BinClassHash {
  uint64_t operator()(const BinClassKey& k) const {
    return mix64(static_cast<uint64_t>(k.bin) * 0x9e3779b97f4a7c15ULL ^ k.class_id);
  }
};
struct EntryBinKey {
  uint32_t entry;
  int64_t bin;
  friend bool operator==(const EntryBinKey&, const EntryBinKey&) = default;
};
struct EntryBinHash {
  uint64_t operator()(const EntryBinKey& k) const {
    return mix64(static_cast<uint64_t>(k.bin) * 0x9e3779b97f4a7c15ULL ^ k.entry);
  }
};
struct SourceOrder {
  core::Address source;
  uint16_t class_id;
  uint32_t entry;
};
// Sorts the rows of entries 0, 1, ... (rows[i].entry == i) by (source, class, entry). IPv4
// sources (IPv4-mapped) are radix sorted on (address, class), the rest compared; then both are
// merged. `max_class` is the largest class id.
void sort_source_order(std::vector<SourceOrder>& rows, uint16_t max_class) {
  std::vector<SourceOrder> other;
  const int class_bits = std::bit_width(max_class);
  KeyOrder v4(rows.size(), rows.size(), 32 + class_bits);
  for (uint32_t i = 0; i < rows.size(); ++i) {
    const SourceOrder& o = rows[i];
    if (o.source.is_v4()) {
      v4.push(i, (o.source.lo & 0xffffffff) << class_bits | o.class_id);
    } else {
      other.push_back(o);
    }
  }
  v4.sort();
  std::sort(other.begin(), other.end(), [](const SourceOrder& a, const SourceOrder& b) {
    return std::tie(a.source, a.class_id, a.entry) < std::tie(b.source, b.class_id, b.entry);
  });
  // An IPv4-mapped address is ::ffff:a.b.c.d (hi 0, lo 0x0000ffff........).
  auto v4_row = [&](size_t k) {
    const uint64_t key = v4.key(k);
    return SourceOrder{core::Address{0, core::Address::kV4MappedLoPrefix | key >> class_bits},
                       static_cast<uint16_t>(key & ((uint64_t{1} << class_bits) - 1)), v4.index(k)};
  };
  size_t a = 0, b = 0, out = 0;
  while (a < v4.size() || b < other.size()) {
    if (b == other.size() || (a < v4.size() && v4_row(a).source < other[b].source)) {
      rows[out++] = v4_row(a++);
    } else {
      rows[out++] = other[b++];
    }
  }
}
// Appends a flag row; rows come in (bin, class, source) order, and a source's rows (one per
// entry that raised flags) are kept in order of their flags, equal flags merged.
void append_flag_row(const BinFlag& row, std::vector<BinFlag>& out) {
  size_t at = out.size();
  while (at > 0 && out[at - 1].bin_start == row.bin_start && out[at - 1].class_id == row.class_id &&
         out[at - 1].source == row.source && out[at - 1].flags >= row.flags) {
    if (out[at - 1].flags == row.flags) {
      out[at - 1].packets += row.packets;
      return;
    }
    --at;
  }
  out.insert(out.begin() + static_cast<std::ptrdiff_t>(at), row);
}
}  // namespace

CaptureTally::CaptureTally(const classify::Classifier& classifier, int64_t bin_width_s,
                           size_t round_packets)
    : classifier_(classifier),
      matches_(classifier),
      cadence_buckets_(classify::CadenceBucketTable::instance()),
      bin_width_s_(bin_width_s),
      round_packets_(std::max<size_t>(round_packets, 1)),
      indexes_() {
  indexes_.reserve(size_t{1} << kPartitionBits);
  for (size_t i = 0; i < (size_t{1} << kPartitionBits); ++i) indexes_.emplace_back(64);
}

void CaptureTally::add_summary(const core::Observation& first, uint64_t packets, uint64_t bytes,
                               int64_t last_ns) {
  if (packets == 0) return;
  count_pending();  // the packets added before it come first
  const auto [mask_id, evidence] = match(first);
  const Pending p{first.src, first.time_ns, mask_id | (evidence ? kEvidence : 0), first.ip_length,
                  first.src_port};
  const uint32_t index = entry_index(indexes_[partition_of(first.src)], first.src, mask_id,
                                     entry_hash(address_hash(first.src), mask_id));
  add_packets(p, index, packets, bytes, std::max(last_ns, first.time_ns));
}

std::pair<uint32_t, bool> CaptureTally::match(const core::Observation& o) {
  const classify::MatchCache::Match m = matches_.match(o);
  return {m.id, m.evidence};
}

void CaptureTally::add_batch(const core::Observation* obs, size_t n) {
  for (size_t i = 0; i < n; ++i) {
    const core::Observation& o = obs[i];
    const auto [mask_id, evidence] = match(o);
    const size_t partition = partition_of(o.src);
    if (mask_id >= kEvidence) {
      // More masks than a held packet can number (more than 2^31): counted at once.
      const Pending p{o.src, o.time_ns, mask_id | (evidence ? kEvidence : 0), o.ip_length,
                      o.src_port};
      count_pending();
      count_run(partition, &p, 1);
      continue;
    }
    // Written in place, field by field (a record built first and copied would be read back
    // whole right after its parts were stored, which stalls).
    Pending* p = pending_.next(partition);
    p->src = o.src;
    p->time_ns = o.time_ns;
    p->mask_id = mask_id | (evidence ? kEvidence : 0);
    p->ip_length = o.ip_length;
    p->src_port = o.src_port;
    pending_.pushed(partition);
  }
  if (pending_.size() >= round_packets_) count_pending();
}

void CaptureTally::count_pending() {
  pending_.drain(
      [this](size_t partition, const Pending* p, size_t n) { count_run(partition, p, n); });
}

void CaptureTally::count_run(size_t partition, const Pending* p, size_t n) {
  SourceIndex& index = indexes_[partition];
  // A software pipeline over the run: packet i has its index slot fetched, packet
  // i - kSlotAhead its candidate entry, and packet i - kSlotAhead - kEntryAhead is counted.
  constexpr size_t kSlotAhead = 8;
  constexpr size_t kEntryAhead = 8;
  constexpr size_t kDepth = kSlotAhead + kEntryAhead;
  constexpr size_t kRing = 2 * kDepth;  // a power of two above kDepth
  uint64_t hashes[kRing];
  uint32_t candidates[kRing];
  auto fetch_slot = [&](size_t i) {
    hashes[i % kRing] = entry_hash(address_hash(p[i].src), p[i].mask_id & ~kEvidence);
    index.prefetch(hashes[i % kRing]);
  };
  auto fetch_entry = [&](size_t j) {
    const uint32_t c = index.candidate(hashes[j % kRing]);
    candidates[j % kRing] = c;
    if (c != SourceIndex::kNone) __builtin_prefetch(&hot_[c], 1);
  };
  // Entries are made here, in packet order; a candidate found before an earlier packet made its
  // entry is confirmed or looked up again.
  auto count = [&](size_t j) __attribute__((always_inline)) {
    const uint32_t c = candidates[j % kRing];
    const uint32_t mask_id = p[j].mask_id & ~kEvidence;
    uint32_t entry = c;
    if (c == SourceIndex::kNone || !(hot_[c].address == p[j].src) || hot_[c].mask_id != mask_id) {
      entry = index.find(hashes[j % kRing], [&](uint32_t e) {
        return hot_[e].address == p[j].src && hot_[e].mask_id == mask_id;
      });
      if (entry == SourceIndex::kNone) {
        add_first(index, p[j], mask_id, hashes[j % kRing]);
        return;
      }
    }
    if (!add_fast(p[j], entry)) add_packets(p[j], entry, 1, p[j].ip_length, p[j].time_ns);
  };
  auto step = [&](size_t i) {  // at either end of the run, where some stages are idle
    if (i < n) fetch_slot(i);
    if (i >= kSlotAhead && i - kSlotAhead < n) fetch_entry(i - kSlotAhead);
    if (i >= kDepth) count(i - kDepth);
  };
  size_t i = 0;
  for (; i < std::min(kDepth, n); ++i) step(i);
  for (; i < n; ++i) {  // every stage busy
    fetch_slot(i);
    fetch_entry(i - kSlotAhead);
    count(i - kDepth);
  }
  for (; i < n + kDepth; ++i) step(i);
}

CaptureTally::Entry CaptureTally::unpack(uint32_t index) const {
  const Hot& h = hot_[index];
  const Cold& c = cold_[index];
  Entry e;
  e.key = EntryKey{h.address, matches_.mask_of(h.mask_id)};
  e.mask_id = h.mask_id;
  e.last_ns = h.last_ns;
  e.bin = h.bin_id == 0 ? INT64_MIN : bin_ids_.key(h.bin_id - 1);
  e.bin_packets = uint64_t{c.bin_packets_high} << 32 | h.bin_packets;
  e.bin_bytes = uint64_t{c.bin_bytes_high} << 32 | h.bin_bytes;
  e.bin_evidence = uint64_t{c.bin_evidence_high} << 32 | h.bin_evidence;
  e.train = Train{h.train_first_ns, (h.state & kTrainLastApart) ? c.train_last_ns : h.last_ns,
                  c.train_packets_high << 16 | h.train_packets};
  e.packets = c.earlier_packets + e.bin_packets;
  e.bytes = c.earlier_bytes + e.bin_bytes;
  e.first_ns = c.first_ns;
  e.bin_trains = c.bin_trains;
  e.last_port = h.last_port;
  e.cadence_run = h.cadence_run;
  e.leading_class = static_cast<int8_t>(classifier_.leading_class(e.key.mask));
  e.cadence_bucket = h.cadence_bucket;
  return e;
}

void CaptureTally::pack(uint32_t index, const Entry& e) {
  Hot& h = hot_[index];
  Cold& c = cold_[index];
  h.address = e.key.address;
  h.mask_id = e.mask_id;
  h.last_ns = e.last_ns;
  if (e.bin == INT64_MIN) {
    h.bin_id = 0;
  } else if (e.bin == cached_bin_ && cached_bin_id_ != 0) {
    h.bin_id = cached_bin_id_;
  } else {
    h.bin_id = bin_ids_.id(e.bin) + 1;
  }
  h.bin_packets = static_cast<uint32_t>(e.bin_packets);
  c.bin_packets_high = static_cast<uint32_t>(e.bin_packets >> 32);
  h.bin_bytes = static_cast<uint32_t>(e.bin_bytes);
  c.bin_bytes_high = static_cast<uint32_t>(e.bin_bytes >> 32);
  h.bin_evidence = static_cast<uint32_t>(e.bin_evidence);
  c.bin_evidence_high = static_cast<uint32_t>(e.bin_evidence >> 32);
  h.train_first_ns = e.train.first_ns;
  h.train_packets = static_cast<uint16_t>(e.train.packets);
  c.train_packets_high = e.train.packets >> 16;
  h.state = e.packets > 0 ? kHasPackets : 0;
  if (e.train.last_ns != e.last_ns) {
    h.state |= kTrainLastApart;
    c.train_last_ns = e.train.last_ns;
  }
  c.earlier_packets = e.packets - e.bin_packets;
  c.earlier_bytes = e.bytes - e.bin_bytes;
  c.first_ns = e.first_ns;
  c.bin_trains = e.bin_trains;
  h.last_port = e.last_port;
  h.cadence_run = e.cadence_run;
  h.cadence_bucket = e.cadence_bucket;
}

bool CaptureTally::add_fast(const Pending& p, uint32_t index) {
  Hot& h = hot_[index];
  const int64_t t = p.time_ns;
  // In order, in the current bin (as bin_of would find it), no counter carrying; in the current
  // train, or starting the next one on a new port (as add_packets would).
  uint32_t bytes = 0;
  if (!(h.state & kHasPackets) || t < h.last_ns || t < bin_lo_ns_ || t >= bin_hi_ns_ ||
      h.bin_id != cached_bin_id_ || h.bin_packets == UINT32_MAX || h.bin_evidence == UINT32_MAX ||
      __builtin_add_overflow(h.bin_bytes, p.ip_length, &bytes)) {
    return false;
  }
  if (p.src_port != h.last_port) {
    start_train(p, index);
  } else if (h.state != kHasPackets || h.train_packets == UINT16_MAX) {
    return false;
  }
  ++observations_;  // first_ns_ and last_ns_ are the entries' (finish())
  add_interval(index, h, t - h.last_ns);
  h.last_ns = t;  // and so the train's last request
  ++h.bin_packets;
  h.bin_bytes = bytes;
  if (p.mask_id & kEvidence) ++h.bin_evidence;
  ++h.train_packets;
  return true;
}

void CaptureTally::start_train(const Pending& p, uint32_t index) {
  Hot& h = hot_[index];
  Cold& c = cold_[index];
  const Train last{h.train_first_ns, (h.state & kTrainLastApart) ? c.train_last_ns : h.last_ns,
                   c.train_packets_high << 16 | h.train_packets};
  note_port(PortKey{cached_bin_, index, p.src_port});
  trains_.push_back(TrainRecord{index, cached_bin_, last});
  ++c.bin_trains;
  h.last_port = p.src_port;
  h.train_first_ns = p.time_ns;
  h.train_packets = 0;  // counted by add_fast
  c.train_packets_high = 0;
  h.state = kHasPackets;  // the train's last request is the entry's again
}

void CaptureTally::add_first(SourceIndex& index_of_partition, const Pending& p, uint32_t mask_id,
                             uint64_t hash) {
  // What entry_index() and add_packets() make of it, written at once.
  const int64_t bin = bin_of(p.time_ns);  // sets cached_bin_id_
  if (bin == INT64_MIN) {                 // "no bin yet" to an entry: left to them
    add_packets(p, entry_index(index_of_partition, p.src, mask_id, hash), 1, p.ip_length,
                p.time_ns);
    return;
  }
  ++observations_;
  const auto index = static_cast<uint32_t>(hot_.size());
  Hot h;
  h.address = p.src;
  h.last_ns = p.time_ns;
  h.train_first_ns = p.time_ns;
  h.mask_id = mask_id;
  h.bin_id = cached_bin_id_;
  h.bin_packets = 1;
  h.bin_bytes = p.ip_length;
  h.bin_evidence = (p.mask_id & kEvidence) ? 1 : 0;
  h.train_packets = 1;
  h.last_port = p.src_port;
  h.state = kHasPackets;
  Cold c;
  c.first_ns = p.time_ns;
  hot_.push_back(h);
  cold_.push_back(c);
  index_of_partition.insert(hash, index);
  note_port(PortKey{bin, index, p.src_port});
}

uint32_t CaptureTally::entry_index(SourceIndex& index_of_partition, const core::Address& source,
                                   uint32_t mask_id, uint64_t hash) {
  const uint32_t found = index_of_partition.find(hash, [&](uint32_t entry) {
    return hot_[entry].address == source && hot_[entry].mask_id == mask_id;
  });
  if (found != SourceIndex::kNone) return found;
  Entry fresh;
  fresh.key = EntryKey{source, matches_.mask_of(mask_id)};
  fresh.mask_id = mask_id;
  fresh.first_ns = INT64_MAX;
  fresh.last_ns = INT64_MIN;
  fresh.leading_class = static_cast<int8_t>(classifier_.leading_class(fresh.key.mask));
  const auto index = static_cast<uint32_t>(hot_.size());
  hot_.push_back(Hot{});
  cold_.push_back(Cold{});
  pack(index, fresh);
  index_of_partition.insert(hash, index);
  return index;
}

int64_t CaptureTally::bin_of(int64_t time_ns) {
  if (time_ns >= bin_lo_ns_ && time_ns < bin_hi_ns_) return cached_bin_;
  const int64_t bin = core::bin_start(core::floor_seconds(time_ns), bin_width_s_);
  // The bin holds exactly the times whose whole second lies in [bin, bin + width).
  int64_t end_s = 0;
  if (__builtin_mul_overflow(bin, core::kNanosPerSecond, &bin_lo_ns_) ||
      __builtin_add_overflow(bin, bin_width_s_, &end_s) ||
      __builtin_mul_overflow(end_s, core::kNanosPerSecond, &bin_hi_ns_)) {
    bin_lo_ns_ = bin_hi_ns_ = 0;
  }
  cached_bin_ = bin;
  cached_bin_id_ = bin_ids_.id(bin) + 1;
  return bin;
}

void CaptureTally::add_packets(const Pending& obs, uint32_t index, uint64_t packets, uint64_t bytes,
                               int64_t last_ns) {
  observations_ += packets;  // first_ns_ and last_ns_ are the entries' (finish())
  Entry e = unpack(index);
  if (e.packets == 0) {
    e.first_ns = obs.time_ns;
    e.last_ns = obs.time_ns;
  }
  if (e.packets > 0) {
    if (obs.time_ns >= e.last_ns) {
      add_interval(index, e, obs.time_ns - e.last_ns);
      e.last_ns = obs.time_ns;
    } else {
      e.first_ns = std::min(e.first_ns, obs.time_ns);
    }
  }
  if (packets > 1) {
    // A summary of several requests: their mean interval stands for each of them.
    flush_cadence(index, e);
    cadence_of(index).add_intervals_ns((last_ns - obs.time_ns) / static_cast<int64_t>(packets - 1),
                                       packets - 1);
    e.last_ns = std::max(e.last_ns, last_ns);
  }
  e.packets += packets;
  e.bytes += bytes;
  const int64_t bin = bin_of(obs.time_ns);
  const bool new_bin = bin != e.bin;
  if (new_bin) {
    if (e.bin != INT64_MIN) spill(index, e);
    e.bin = bin;
  }
  e.bin_packets += packets;
  e.bin_bytes += bytes;
  if (obs.mask_id & kEvidence) e.bin_evidence += packets;
  if (new_bin || obs.src_port != e.last_port) {
    note_port(PortKey{bin, index, obs.src_port});
    e.last_port = obs.src_port;
    if (!new_bin) {
      trains_.push_back(TrainRecord{index, bin, e.train});
      ++e.bin_trains;
    }
    e.train = Train{obs.time_ns, last_ns, packets};
  } else {
    e.train.first_ns = std::min(e.train.first_ns, obs.time_ns);
    e.train.last_ns = std::max(e.train.last_ns, last_ns);
    e.train.packets += packets;
  }
  pack(index, e);
}

template <class E>
void CaptureTally::add_interval(uint32_t index, E& e, int64_t interval_ns) {
  // In the run's bucket (an interval of 0 with no run yet is in bucket 0 too).
  if (cadence_buckets_.in_bucket(interval_ns, e.cadence_bucket) && e.cadence_run < UINT16_MAX) {
    ++e.cadence_run;
    return;
  }
  const auto bucket = static_cast<uint8_t>(cadence_buckets_.bucket_of(interval_ns));
  flush_cadence(index, e);
  e.cadence_bucket = bucket;
  e.cadence_run = 1;
}

template <class E>
void CaptureTally::flush_cadence(uint32_t index, E& e) {
  if (e.cadence_run == 0) return;
  cadence_of(index).add_to_bucket(e.cadence_bucket, e.cadence_run);
  e.cadence_run = 0;
}

classify::CadenceHistogram& CaptureTally::cadence_of(uint32_t index) {
  Cold& c = cold_[index];
  if (c.cadence == 0) {
    cadences_.push_back(classify::CadenceHistogram{});
    c.cadence = static_cast<uint32_t>(cadences_.size());
  }
  return cadences_[c.cadence - 1];
}

CaptureTally::EntryTotals CaptureTally::totals_of(uint32_t index) const {
  const Hot& h = hot_[index];
  const Cold& c = cold_[index];
  return EntryTotals{c.first_ns,
                     h.last_ns,
                     c.earlier_packets + (uint64_t{c.bin_packets_high} << 32 | h.bin_packets),
                     c.earlier_bytes + (uint64_t{c.bin_bytes_high} << 32 | h.bin_bytes),
                     h.cadence_run,
                     h.cadence_bucket};
}

template <class E>
classify::CadenceHistogram CaptureTally::cadence_now(uint32_t index, const E& e) const {
  const Cold& c = cold_[index];
  if (c.cadence != 0) return cadences_[c.cadence - 1];
  classify::CadenceHistogram h;
  if (e.cadence_run > 0) h.add_to_bucket(e.cadence_bucket, e.cadence_run);
  return h;
}

void CaptureTally::note_port(const PortKey& key) {
  ports_.push_back(key);
  if (ports_.size() >= 2 * ports_unique_ + (size_t{1} << 20)) {
    std::sort(ports_.begin(), ports_.end());
    ports_.erase(std::unique(ports_.begin(), ports_.end()), ports_.end());
    ports_unique_ = ports_.size();
  }
}

void CaptureTally::spill(uint32_t index, Entry& e) {
  const bool multi = e.bin_trains > 0;
  if (multi) trains_.push_back(TrainRecord{index, e.bin, e.train});
  bins_.push_back(
      BinRecord{index, multi, e.bin, e.bin_packets, e.bin_bytes, e.bin_evidence, e.train});
  e.bin_packets = 0;
  e.bin_bytes = 0;
  e.bin_evidence = 0;
  e.bin_trains = 0;
}

void CaptureTally::spill_current(uint32_t index) {
  const Hot& h = hot_[index];
  const Cold& c = cold_[index];
  const uint64_t packets = uint64_t{c.bin_packets_high} << 32 | h.bin_packets;
  if (packets == 0) return;
  const bool multi = c.bin_trains > 0;
  const int64_t bin = bin_ids_.key(h.bin_id - 1);
  const Train train{h.train_first_ns, (h.state & kTrainLastApart) ? c.train_last_ns : h.last_ns,
                    c.train_packets_high << 16 | h.train_packets};
  if (multi) trains_.push_back(TrainRecord{index, bin, train});
  bins_.push_back(BinRecord{index, multi, bin, packets,
                            uint64_t{c.bin_bytes_high} << 32 | h.bin_bytes,
                            uint64_t{c.bin_evidence_high} << 32 | h.bin_evidence, train});
}

TallySet CaptureTally::finish() {
  count_pending();
  TallySet out;
  out.bin_width_s = bin_width_s_;
  const auto& rules = classifier_.rules();
  // Class ids: class rules in priority order, then "unclassified"; flag ids likewise.
  std::vector<int> rule_to_id(rules.size(), -1);
  for (size_t i = 0; i < rules.size(); ++i) {
    if (rules[i].kind == classify::RuleKind::kClass) {
      rule_to_id[i] = static_cast<int>(out.class_names.size());
      out.class_names.push_back(rules[i].name);
    } else {
      rule_to_id[i] = static_cast<int>(out.flag_names.size());
      out.flag_names.push_back(rules[i].name);
    }
  }
  const uint16_t unclassified_id = static_cast<uint16_t>(out.class_names.size());
  out.class_names.push_back(classify::kUnclassified);

  // Spill each entry's current bin and resolve it, in entry order.
  const size_t n_entries = hot_.size();
  struct EntryInfo {
    uint64_t flags;  // the flags raised, as BinFlag::flags
    uint32_t rank;   // place in source order
    uint16_t class_id;
    bool keep_evidence;
  };
  std::vector<EntryInfo> info(n_entries);
  std::vector<SourceOrder> source_order(n_entries);
  // An entry's resolution in the ids of `out`: its class, its flags (as BinFlag::flags), and the
  // class rule (or -1).
  struct Resolved {
    uint64_t flags = 0;
    uint16_t class_id = 0;
    int rule = -1;
  };
  auto resolve = [&](uint64_t mask, const classify::CadenceHistogram& cadence) {
    const classify::Classifier::Resolution r = classifier_.resolve(mask, cadence);
    Resolved ids;
    ids.rule = r.class_rule;
    ids.class_id =
        r.class_rule < 0 ? unclassified_id : static_cast<uint16_t>(rule_to_id[r.class_rule]);
    for (uint64_t m = r.flags; m != 0; m &= m - 1) {
      ids.flags |= uint64_t{1} << rule_to_id[static_cast<size_t>(__builtin_ctzll(m))];
    }
    return ids;
  };
  // An entry without a histogram holds one run of intervals in one bucket, so its resolution
  // depends on (mask, bucket, run) alone: kept for the next entry of that kind, with whether
  // the class is the mask's leading one (whose evidence counts).
  struct Memo {
    uint64_t key = UINT64_MAX;
    Resolved resolved;
    bool keep_evidence = false;
  };
  std::vector<Memo> memo(1024);
  for (uint32_t i = 0; i < n_entries; ++i) {
    const Hot& h = hot_[i];
    const Cold& c = cold_[i];
    first_ns_ = std::min(first_ns_, c.first_ns);
    last_ns_ = std::max(last_ns_, h.last_ns);
    // The current bin is recorded from the entry's lines as they are; the entry is not changed.
    if (h.bin_id != 0) spill_current(i);
    if (c.cadence == 0) {
      const uint64_t key =
          uint64_t{h.mask_id} << 24 | uint64_t{h.cadence_bucket} << 16 | h.cadence_run;
      Memo& m = memo[mix64(key) % memo.size()];
      if (m.key != key) {
        const uint64_t mask = matches_.mask_of(h.mask_id);
        const Resolved r = resolve(mask, cadence_now(i, h));
        m = Memo{key, r, r.rule >= 0 && r.rule == classifier_.leading_class(mask)};
      }
      info[i] = EntryInfo{m.resolved.flags, 0, m.resolved.class_id, m.keep_evidence};
      source_order[i] = SourceOrder{h.address, m.resolved.class_id, i};
      continue;
    }
    // Flushed into its histogram, but not packed again.
    Entry e = unpack(i);
    flush_cadence(i, e);
    const Resolved r = resolve(e.key.mask, cadence_now(i, e));
    info[i] = EntryInfo{r.flags, 0, r.class_id, r.rule >= 0 && r.rule == e.leading_class};
    source_order[i] = SourceOrder{e.key.address, r.class_id, i};
  }

  // Sources: the entries sorted by (address, class), each run merged in entry order into one
  // summary. An entry's rank in this order sorts bin rows by source below.
  sort_source_order(source_order, unclassified_id);
  out.sources.reserve(n_entries);
  // Histograms: a source of one entry with no histogram of its own (one run of intervals in
  // one bucket) shares the histogram of that (bucket, run); any other source has its own.
  FlatMap<uint64_t, uint32_t, IntHash> run_histograms(256);  // (bucket, run) -> cadences + 1
  bool shared = false;  // the last summary's histogram is shared
  auto add_histogram = [&](const classify::CadenceHistogram& from) {
    classify::CadenceHistogram h;  // merged into an empty one, as two captures would be
    h.merge(from);
    out.cadences.push_back(h);
    return static_cast<uint32_t>(out.cadences.size() - 1);
  };
  for (size_t k = 0; k < source_order.size(); ++k) {
    // The entries are visited in address order, i.e. at random: fetch ahead.
    constexpr size_t kAhead = 16;
    if (k + kAhead < source_order.size()) {
      const uint32_t ahead = source_order[k + kAhead].entry;
      __builtin_prefetch(&hot_[ahead]);
      __builtin_prefetch(&cold_[ahead]);
      __builtin_prefetch(&info[ahead], 1);
    }
    const SourceOrder& o = source_order[k];
    info[o.entry].rank = static_cast<uint32_t>(k);
    const EntryTotals e = totals_of(o.entry);
    if (out.sources.empty() || out.sources.back().source != o.source ||
        out.sources.back().class_id != o.class_id) {
      SourceSummary s;
      s.source = o.source;
      s.class_id = o.class_id;
      s.first_ns = e.first_ns;
      s.last_ns = e.last_ns;
      if (cold_[o.entry].cadence == 0) {
        uint32_t& id = run_histograms[uint64_t{e.cadence_bucket} << 16 | e.cadence_run];
        if (id == 0) id = add_histogram(cadence_now(o.entry, e)) + 1;
        s.cadence = id - 1;
        shared = true;
      } else {
        s.cadence = add_histogram(cadence_now(o.entry, e));
        shared = false;
      }
      out.sources.push_back(s);
    } else {
      // Another entry of the source and class (another rule mask): histograms merged.
      SourceSummary& s = out.sources.back();
      if (shared) {
        s.cadence = add_histogram(classify::CadenceHistogram(out.cadences[s.cadence]));
        shared = false;
      }
      out.cadences[s.cadence].merge(cadence_now(o.entry, e));
    }
    SourceSummary& s = out.sources.back();
    s.first_ns = std::min(s.first_ns, e.first_ns);
    s.last_ns = std::max(s.last_ns, e.last_ns);
    s.packets += e.packets;
    s.bytes += e.bytes;
  }

  // (bin, class) groups, numbered in (bin, class) order.
  DenseIds<BinClassKey, BinClassHash> group_ids;
  BinClassKey last_key{0, 0};
  uint32_t last_group = UINT32_MAX;  // the group of last_key (a run of one group skips the map)
  auto group_of = [&](int64_t bin, uint16_t cls) {
    const BinClassKey key{bin, cls};
    if (last_group == UINT32_MAX || !(key == last_key)) {
      last_key = key;
      last_group = group_ids.id(key);
    }
    return last_group;
  };
  const std::vector<BinClassKey>& groups = group_ids.keys();
  std::vector<uint32_t> bin_group(bins_.size());  // group of each bin record
  for (size_t i = 0; i < bins_.size(); ++i) {
    bin_group[i] = group_of(bins_[i].bin, info[bins_[i].entry].class_id);
  }
  std::vector<uint32_t> group_order(groups.size());
  {
    std::vector<uint32_t> by_key(groups.size());
    for (uint32_t g = 0; g < groups.size(); ++g) by_key[g] = g;
    std::sort(by_key.begin(), by_key.end(), [&](uint32_t a, uint32_t b) {
      return std::tie(groups[a].bin, groups[a].class_id) <
             std::tie(groups[b].bin, groups[b].class_id);
    });
    for (uint32_t k = 0; k < by_key.size(); ++k) group_order[by_key[k]] = k;
  }

  // Devices behind each (address, bin): one train is one device; several are split.
  std::sort(trains_.begin(), trains_.end(), [](const TrainRecord& a, const TrainRecord& b) {
    return std::tie(a.entry, a.bin) < std::tie(b.entry, b.bin);
  });
  struct Split {
    DeviceSplit split;
    int64_t first_ns, last_ns;
  };
  FlatMap<EntryBinKey, Split, EntryBinHash> splits(trains_.size() / 2 + 16);
  std::vector<Train> group;
  for (size_t i = 0; i < trains_.size();) {
    size_t j = i;
    group.clear();
    for (; j < trains_.size() && trains_[j].entry == trains_[i].entry &&
           trains_[j].bin == trains_[i].bin;
         ++j) {
      group.push_back(trains_[j].train);
    }
    Split& split = splits[EntryBinKey{trains_[i].entry, trains_[i].bin}];
    split.first_ns = INT64_MAX;
    split.last_ns = INT64_MIN;
    for (const Train& t : group) {
      split.first_ns = std::min(split.first_ns, t.first_ns);
      split.last_ns = std::max(split.last_ns, t.last_ns);
    }
    split.split = split_devices(group);
    i = j;
  }
  trains_.clear();
  trains_.shrink_to_fit();

  // Bin rows in (bin, class, source) order: by group, then by the entry's rank. Rows of one
  // source under two rule masks that resolve to one class are then adjacent and merged.
  const int rank_bits = std::bit_width(n_entries);
  KeyOrder order(bins_.size(), bins_.size(), std::bit_width(groups.size()) + rank_bits);
  size_t most_flag_rows = 0;  // rows of entries that raised flags
  for (uint32_t i = 0; i < bins_.size(); ++i) {
    const EntryInfo& in = info[bins_[i].entry];
    order.push(i, uint64_t{group_order[bin_group[i]]} << rank_bits | in.rank);
    most_flag_rows += in.flags != 0;
  }
  bin_group.clear();
  bin_group.shrink_to_fit();
  order.sort();
  out.totals.resize(groups.size());
  for (uint32_t g = 0; g < groups.size(); ++g) {
    BinTotals& t = out.totals[group_order[g]];
    t.bin_start = groups[g].bin;
    t.class_id = groups[g].class_id;
  }
  out.bin_sources.reserve(bins_.size());
  out.bin_flags.reserve(most_flag_rows);
  for (size_t k = 0; k < order.size(); ++k) {
    // Rows are visited in source order, at random: fetch rows, then their entries' info.
    constexpr size_t kAhead = 32;
    if (k + 2 * kAhead < order.size()) __builtin_prefetch(&bins_[order.index(k + 2 * kAhead)]);
    if (k + kAhead < order.size()) __builtin_prefetch(&info[bins_[order.index(k + kAhead)].entry]);
    const BinRecord& r = bins_[order.index(k)];
    const EntryInfo& in = info[r.entry];
    const uint16_t cls = in.class_id;
    BinTotals& t = out.totals[order.key(k) >> rank_bits];
    t.packets += r.packets;
    t.bytes += r.bytes;
    if (in.keep_evidence) t.evidence_packets += r.evidence;
    const core::Address& src = source_order[order.key(k) & ((uint64_t{1} << rank_bits) - 1)].source;
    BinSource row{r.bin, cls, src, r.packets};
    if (r.multi) {
      const Split& found = splits[EntryBinKey{r.entry, r.bin}];
      const DeviceSplit& split = found.split;
      row.first_ns = found.first_ns;
      row.last_ns = found.last_ns;
      row.devices_low = split.low;
      row.devices = split.devices;
      row.devices_high = split.high;
      row.interval_ns = split.interval_ns;
      row.anchor_ns = split.anchor_ns;
    } else {
      row.first_ns = r.train.first_ns;
      row.last_ns = r.train.last_ns;
      row.interval_ns =
          r.train.packets > 1 && r.train.last_ns > r.train.first_ns
              ? (r.train.last_ns - r.train.first_ns) / static_cast<int64_t>(r.train.packets - 1)
              : 0;
      row.anchor_ns = r.train.last_ns;
    }
    if (!out.bin_sources.empty() && out.bin_sources.back().bin_start == row.bin_start &&
        out.bin_sources.back().class_id == row.class_id && out.bin_sources.back().source == src) {
      core::merge_source_rows(out.bin_sources.back(), row);
    } else {
      out.bin_sources.push_back(row);
    }
    if (in.flags != 0)
      append_flag_row(BinFlag{r.bin, cls, src, in.flags, r.packets}, out.bin_flags);
  }

  // Ports: one row per (group, port), in that order. While a bitmap of every port of every
  // group (8 KB a group) is no larger than a list of the ports seen, it marks them; else each
  // is a key (group, port), and the keys are sorted and made unique.
  constexpr size_t kPortWords = 65536 / 64;
  auto group_of_port = [&](const PortKey& p) {
    return group_order[group_of(p.bin, info[p.entry].class_id)];
  };
  if (groups.size() * kPortWords <= ports_.size() + 16 * kPortWords) {
    std::vector<uint64_t> seen(groups.size() * kPortWords);
    for (const PortKey& p : ports_) {
      seen[group_of_port(p) * kPortWords + p.port / 64] |= uint64_t{1} << (p.port % 64);
    }
    size_t rows = 0;
    for (const uint64_t w : seen) rows += static_cast<size_t>(std::popcount(w));
    out.bin_ports.reserve(rows);
    for (size_t g = 0; g < groups.size(); ++g) {
      const BinTotals& t = out.totals[g];
      for (size_t w = 0; w < kPortWords; ++w) {
        for (uint64_t bits = seen[g * kPortWords + w]; bits != 0; bits &= bits - 1) {
          const auto port =
              static_cast<uint16_t>(w * 64 + static_cast<size_t>(std::countr_zero(bits)));
          out.bin_ports.push_back(BinPort{t.bin_start, t.class_id, port});
        }
      }
    }
  } else {
    std::vector<uint64_t> port_keys(ports_.size());
    for (size_t i = 0; i < ports_.size(); ++i) {
      port_keys[i] = uint64_t{group_of_port(ports_[i])} << 16 | ports_[i].port;
    }
    radix_sort(port_keys, [](uint64_t k) { return k; });
    port_keys.erase(std::unique(port_keys.begin(), port_keys.end()), port_keys.end());
    out.bin_ports.reserve(port_keys.size());
    for (const uint64_t k : port_keys) {
      const BinTotals& t = out.totals[k >> 16];
      out.bin_ports.push_back(BinPort{t.bin_start, t.class_id, static_cast<uint16_t>(k)});
    }
  }
  ports_.clear();
  ports_.shrink_to_fit();
  return out;
}

}  // namespace iotcensus::tally

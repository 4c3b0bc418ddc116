#include "tally/capture_tally.h"

#include <algorithm>
#include <climits>
#include <tuple>

#include "core/time_bin.h"

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
// A bin row of a source and the flags it raised, before one row per flag is made.
struct FlaggedRow {
  int64_t bin;
  uint16_t class_id;
  core::Address source;
  uint64_t flags;  // rule bits
  uint64_t packets;
};
// The flag rows, sorted by (bin, class, flag, source) and unique (packets summed): the rows
// are sorted by (bin, class, source), then each (bin, class) run is walked once per flag it
// raised, ascending (flag ids follow rule order). Fewer rows to sort than one per flag.
std::vector<BinFlag> flag_rows(std::vector<FlaggedRow>& rows, const std::vector<int>& rule_to_id) {
  std::sort(rows.begin(), rows.end(), [](const FlaggedRow& a, const FlaggedRow& b) {
    return std::tie(a.bin, a.class_id, a.source) < std::tie(b.bin, b.class_id, b.source);
  });
  std::vector<BinFlag> out;
  size_t most = 0;  // one row per flag of each row, before equal sources merge
  for (const FlaggedRow& r : rows) most += static_cast<size_t>(__builtin_popcountll(r.flags));
  out.reserve(most);
  for (size_t i = 0; i < rows.size();) {
    size_t j = i;
    uint64_t raised = 0;
    for (; j < rows.size() && rows[j].bin == rows[i].bin && rows[j].class_id == rows[i].class_id;
         ++j) {
      raised |= rows[j].flags;
    }
    while (raised != 0) {
      const int rule = __builtin_ctzll(raised);
      raised &= raised - 1;
      const uint64_t bit = uint64_t{1} << rule;
      const auto flag_id = static_cast<uint16_t>(rule_to_id[rule]);
      const size_t first = out.size();
      for (size_t k = i; k < j; ++k) {
        if (!(rows[k].flags & bit)) continue;
        if (out.size() > first && out.back().source == rows[k].source) {
          out.back().packets += rows[k].packets;
        } else {
          out.push_back(
              BinFlag{rows[k].bin, rows[k].class_id, flag_id, rows[k].source, rows[k].packets});
        }
      }
    }
    i = j;
  }
  return out;
}
// Merges runs of equal rows of a sorted vector into their first row.
template <class Row, class Equal, class Merge>
void merge_adjacent(std::vector<Row>& rows, Equal equal, Merge merge) {
  if (rows.empty()) return;
  size_t out = 0;
  for (size_t i = 1; i < rows.size(); ++i) {
    if (equal(rows[out], rows[i])) {
      merge(rows[out], rows[i]);
    } else {
      rows[++out] = rows[i];
    }
  }
  rows.resize(out + 1);
}
}  // namespace

CaptureTally::CaptureTally(const classify::Classifier& classifier, int64_t bin_width_s)
    : classifier_(classifier), matches_(classifier), bin_width_s_(bin_width_s), index_(1 << 12) {}

void CaptureTally::add(const core::Observation& obs) {
  add_packets(obs, 1, obs.ip_length, obs.time_ns);
}

void CaptureTally::add_summary(const core::Observation& first, uint64_t packets, uint64_t bytes,
                               int64_t last_ns) {
  if (packets == 0) return;
  add_packets(first, packets, bytes, std::max(last_ns, first.time_ns));
}

void CaptureTally::add_batch(const core::Observation* obs, size_t n) {
  // A software pipeline over each batch: packet i has its index slot fetched, packet
  // i - kSlotAhead its candidate entry, and packet i - kSlotAhead - kEntryAhead is counted.
  constexpr size_t kSlotAhead = 8;
  constexpr size_t kEntryAhead = 8;
  EntryKey keys[kBatch];
  uint64_t hashes[kBatch];
  uint32_t candidates[kBatch];
  for (size_t done = 0; done < n; done += kBatch) {
    const size_t m = std::min(kBatch, n - done);
    const core::Observation* o = obs + done;
    for (size_t i = 0; i < m + kSlotAhead + kEntryAhead; ++i) {
      if (i < m) {
        keys[i] = EntryKey{o[i].src, matches_.match(o[i])};
        hashes[i] = EntryKeyHash{}(keys[i]);
        index_.prefetch(hashes[i]);
      }
      if (i >= kSlotAhead && i - kSlotAhead < m) {
        const size_t j = i - kSlotAhead;
        candidates[j] = index_.candidate(hashes[j]);
        if (candidates[j] != SourceIndex::kNone) {
          const char* e = reinterpret_cast<const char*>(&entries_[candidates[j]]);
          for (size_t line = 0; line < kEntryLines; ++line) __builtin_prefetch(e + 64 * line);
        }
      }
      // Entries are made here, in packet order, as add() would make them; a candidate found
      // before an earlier packet made its entry is confirmed or looked up again.
      if (i >= kSlotAhead + kEntryAhead) {
        const size_t j = i - kSlotAhead - kEntryAhead;
        const uint32_t c = candidates[j];
        const uint32_t index = c != SourceIndex::kNone && entries_[c].key == keys[j]
                                   ? c
                                   : entry_index(keys[j], hashes[j]);
        add_packets(o[j], index, 1, o[j].ip_length, o[j].time_ns);
      }
    }
  }
}

uint32_t CaptureTally::entry_index(const EntryKey& key, uint64_t hash) {
  const uint32_t found =
      index_.find(hash, [&](uint32_t entry) { return entries_[entry].key == key; });
  if (found != SourceIndex::kNone) return found;
  Entry fresh;
  fresh.key = key;
  fresh.first_ns = INT64_MAX;
  fresh.last_ns = INT64_MIN;
  fresh.leading_class = static_cast<int8_t>(classifier_.leading_class(key.mask));
  const auto index = static_cast<uint32_t>(entries_.size());
  entries_.push_back(fresh);
  index_.insert(hash, index);
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
  return bin;
}

void CaptureTally::add_packets(const core::Observation& obs, uint64_t packets, uint64_t bytes,
                               int64_t last_ns) {
  const EntryKey key{obs.src, matches_.match(obs)};
  add_packets(obs, entry_index(key, EntryKeyHash{}(key)), packets, bytes, last_ns);
}

void CaptureTally::add_packets(const core::Observation& obs, uint32_t index, uint64_t packets,
                               uint64_t bytes, int64_t last_ns) {
  observations_ += packets;
  first_ns_ = std::min(first_ns_, obs.time_ns);
  last_ns_ = std::max(last_ns_, last_ns);
  Entry& e = entries_[index];
  if (e.packets == 0) {
    e.first_ns = obs.time_ns;
    e.last_ns = obs.time_ns;
  }
  if (e.packets > 0) {
    if (obs.time_ns >= e.last_ns) {
      e.cadence.add_interval_ns(obs.time_ns - e.last_ns);
      e.last_ns = obs.time_ns;
    } else {
      e.first_ns = std::min(e.first_ns, obs.time_ns);
    }
  }
  if (packets > 1) {
    // A summary of several requests: their mean interval stands for each of them.
    e.cadence.add_intervals_ns((last_ns - obs.time_ns) / static_cast<int64_t>(packets - 1),
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
  if (classifier_.evidence(e.leading_class, obs)) e.bin_evidence += packets;
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
      BinRecord{index, e.bin, e.bin_packets, e.bin_bytes, e.bin_evidence, e.train, multi});
  e.bin_packets = 0;
  e.bin_bytes = 0;
  e.bin_evidence = 0;
  e.bin_trains = 0;
}

TallySet CaptureTally::finish() {
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

  for (uint32_t i = 0; i < entries_.size(); ++i) {
    if (entries_[i].bin != INT64_MIN && entries_[i].bin_packets > 0) spill(i, entries_[i]);
  }

  // Resolve each entry once. Sources: the entries sorted by (address, class), each run merged
  // in entry order into one summary.
  std::vector<uint16_t> entry_class(entries_.size());
  std::vector<uint64_t> entry_flags(entries_.size());
  std::vector<bool> keep_evidence(entries_.size());
  struct SourceOrder {
    core::Address source;
    uint16_t class_id;
    uint32_t entry;
  };
  std::vector<SourceOrder> source_order(entries_.size());
  out.sources.reserve(entries_.size());
  for (size_t i = 0; i < entries_.size(); ++i) {
    const Entry& e = entries_[i];
    const int rule = classifier_.resolve_class(e.key.mask, e.cadence);
    entry_class[i] = rule < 0 ? unclassified_id : static_cast<uint16_t>(rule_to_id[rule]);
    entry_flags[i] = classifier_.resolve_flags(e.key.mask, e.cadence);
    keep_evidence[i] = rule >= 0 && rule == e.leading_class;
    source_order[i] = SourceOrder{e.key.address, entry_class[i], static_cast<uint32_t>(i)};
  }
  std::sort(source_order.begin(), source_order.end(), [](const auto& a, const auto& b) {
    return std::tie(a.source, a.class_id, a.entry) < std::tie(b.source, b.class_id, b.entry);
  });
  for (size_t k = 0; k < source_order.size(); ++k) {
    // The entries are visited in address order, i.e. at random: fetch a few ahead.
    constexpr size_t kAhead = 8;
    if (k + kAhead < source_order.size()) {
      const char* ahead = reinterpret_cast<const char*>(&entries_[source_order[k + kAhead].entry]);
      for (size_t line = 0; line < kEntryLines; ++line) __builtin_prefetch(ahead + 64 * line);
    }
    const SourceOrder& o = source_order[k];
    const Entry& e = entries_[o.entry];
    if (out.sources.empty() || out.sources.back().source != o.source ||
        out.sources.back().class_id != o.class_id) {
      SourceSummary s;
      s.source = o.source;
      s.class_id = o.class_id;
      s.first_ns = e.first_ns;
      s.last_ns = e.last_ns;
      out.sources.push_back(s);
    }
    SourceSummary& s = out.sources.back();
    s.first_ns = std::min(s.first_ns, e.first_ns);
    s.last_ns = std::max(s.last_ns, e.last_ns);
    s.packets += e.packets;
    s.bytes += e.bytes;
    s.cadence.merge(e.cadence);
  }
  source_order.clear();
  source_order.shrink_to_fit();

  // Rows are appended, sorted, and rows with equal keys (one address under two rule masks that
  // resolve to the same class) merged: cheaper than millions of hash inserts.
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

  FlatMap<BinClassKey, BinTotals, BinClassHash> totals(1024);
  out.bin_sources.reserve(bins_.size());
  std::vector<FlaggedRow> flagged;
  flagged.reserve(bins_.size());
  for (const BinRecord& r : bins_) {
    const uint16_t cls = entry_class[r.entry];
    BinTotals& t = totals[BinClassKey{r.bin, cls}];
    t.bin_start = r.bin;
    t.class_id = cls;
    t.packets += r.packets;
    t.bytes += r.bytes;
    if (keep_evidence[r.entry]) t.evidence_packets += r.evidence;
    const core::Address& src = entries_[r.entry].key.address;
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
    out.bin_sources.push_back(row);
    if (entry_flags[r.entry] != 0) {
      flagged.push_back(FlaggedRow{r.bin, cls, src, entry_flags[r.entry], r.packets});
    }
  }
  totals.for_each([&](const BinClassKey&, const BinTotals& t) { out.totals.push_back(t); });
  std::sort(out.totals.begin(), out.totals.end(), [](const auto& a, const auto& b) {
    return std::tie(a.bin_start, a.class_id) < std::tie(b.bin_start, b.class_id);
  });
  auto source_key = [](const BinSource& a) { return std::tie(a.bin_start, a.class_id, a.source); };
  std::sort(out.bin_sources.begin(), out.bin_sources.end(),
            [&](const auto& a, const auto& b) { return source_key(a) < source_key(b); });
  merge_adjacent(
      out.bin_sources, [&](const auto& a, const auto& b) { return source_key(a) == source_key(b); },
      [](auto& into, const auto& from) { core::merge_source_rows(into, from); });
  out.bin_flags = flag_rows(flagged, rule_to_id);
  out.bin_ports.reserve(ports_.size());
  for (const PortKey& k : ports_)
    out.bin_ports.push_back(BinPort{k.bin, entry_class[k.entry], k.port});
  std::sort(out.bin_ports.begin(), out.bin_ports.end(), [](const auto& a, const auto& b) {
    return std::tie(a.bin_start, a.class_id, a.port) < std::tie(b.bin_start, b.class_id, b.port);
  });
  out.bin_ports.erase(std::unique(out.bin_ports.begin(), out.bin_ports.end(),
                                  [](const auto& a, const auto& b) {
                                    return a.bin_start == b.bin_start && a.class_id == b.class_id &&
                                           a.port == b.port;
                                  }),
                      out.bin_ports.end());
  return out;
}

}  // namespace iotcensus::tally

// The calendar sweep. Streams re-enter the ring at their next request; requests that fall into
// the second being drained go through a small heap merged with the sorted bucket, so order holds
// for any interval. Ties are broken by stream number, which is itself deterministic.

#include "simulate/request_sweep.h"

#include <algorithm>
#include <bit>
#include <queue>
#include <vector>

#include "core/time_bin.h"
#include "simulate/day_walk.h"
#include "simulate/frame.h"
#include "simulate/rng.h"

namespace iotcensus::simulate {

namespace {

constexpr int64_t kNs = core::kNanosPerSecond;
constexpr int64_t kRing = 512;  // seconds held in buckets; later requests wait in `far`

struct Stream {
  Segment seg;
  uint32_t id = 0;
  FrameTemplate frame;  // source, destination and TTL of every request of the stream
};

struct Entry {
  int64_t t;
  uint32_t stream;
  bool operator<(const Entry& o) const { return t != o.t ? t < o.t : stream < o.stream; }
  bool operator>(const Entry& o) const { return o < *this; }
};

class Calendar {
 public:
  Calendar() : ring_(kRing) {}
  void reset(int64_t first_sec) {
    for (auto& b : ring_) b.clear();
    far_.clear();
    block_ = first_sec;
  }
  void push(Entry e) {
    const int64_t sec = e.t / kNs;
    if (sec < block_ + kRing)
      ring_[static_cast<size_t>(sec % kRing)].push_back(e);
    else
      far_.push_back(e);
  }
  // Starts the block of seconds [sec, sec + kRing): moves far entries into the ring.
  void start_block(int64_t sec) {
    block_ = sec;
    std::erase_if(far_, [&](const Entry& e) {
      if (e.t / kNs < block_ + kRing) {
        ring_[static_cast<size_t>(e.t / kNs % kRing)].push_back(e);
        return true;
      }
      return false;
    });
  }
  std::vector<Entry>& bucket(int64_t sec) { return ring_[static_cast<size_t>(sec % kRing)]; }
  bool far_empty() const { return far_.empty(); }

 private:
  std::vector<std::vector<Entry>> ring_;
  std::vector<Entry> far_;
  int64_t block_ = 0;
};

// Sorts keys: spreads them over about one bucket per key by their top significant bits (one
// counting pass, one scatter), then sorts each bucket on its own, mostly a handful of keys.
// Counting into a handful of digits per key, as a radix sort does, was slower: the keys arrive
// nearly sorted, so consecutive keys increment the same counter.
void sort_keys(std::vector<uint64_t>& keys, std::vector<uint64_t>& scratch,
               std::vector<uint32_t>& starts) {
  const size_t n = keys.size();
  if (n < 64) {
    std::sort(keys.begin(), keys.end());
    return;
  }
  const unsigned bucket_bits = std::min(16u, static_cast<unsigned>(std::bit_width(n)));
  const uint64_t max_key = *std::max_element(keys.begin(), keys.end());
  const auto key_bits = static_cast<unsigned>(std::bit_width(max_key));
  const unsigned shift = key_bits > bucket_bits ? key_bits - bucket_bits : 0;
  const size_t buckets = size_t{1} << bucket_bits;
  starts.assign(buckets + 1, 0);
  for (const uint64_t k : keys) ++starts[(k >> shift) + 1];
  for (size_t b = 1; b <= buckets; ++b) starts[b] += starts[b - 1];
  scratch.resize(n);
  for (const uint64_t k : keys) scratch[starts[k >> shift]++] = k;  // starts[b] is now b's end
  uint64_t* const out = scratch.data();
  size_t begin = 0;
  for (size_t b = 0; b < buckets; ++b) {
    const size_t end = starts[b];
    if (end - begin > 16) {
      std::sort(out + begin, out + end);
    } else {
      for (size_t i = begin + 1; i < end; ++i) {
        const uint64_t v = out[i];
        size_t j = i;
        for (; j > begin && out[j - 1] > v; --j) out[j] = out[j - 1];
        out[j] = v;
      }
    }
    begin = end;
  }
  keys.swap(scratch);
}

// Sorts one second's entries by (time, stream) as 64-bit keys, the nanoseconds within the second
// above the stream number: the same order as Entry's (keys are unique: a stream has one entry in
// the calendar at a time).
void sort_second(std::vector<Entry>& entries, int64_t sec, std::vector<uint64_t>& keys,
                 std::vector<uint64_t>& scratch, std::vector<uint32_t>& starts) {
  const int64_t base = sec * kNs;
  keys.resize(entries.size());
  for (size_t i = 0; i < entries.size(); ++i) {
    keys[i] = static_cast<uint64_t>(entries[i].t - base) << 32 | entries[i].stream;
  }
  sort_keys(keys, scratch, starts);
  for (size_t i = 0; i < entries.size(); ++i) {
    entries[i] = {base + static_cast<int64_t>(keys[i] >> 32), static_cast<uint32_t>(keys[i])};
  }
}

}  // namespace

core::Result<SweepStats> write_capture(const Schedule& schedule, AddressBook& book, int64_t from_ns,
                                       int64_t to_ns, CaptureWriter& out, TruthTally* truth) {
  const Scenario& sc = schedule.scenario();
  const Population& pop = schedule.population();
  SweepStats stats;
  DayWalk walk(pop, core::floor_seconds(from_ns), (to_ns + kNs - 1) / kNs);
  DayPlan plan;
  std::vector<Stream> streams;
  std::vector<Entry> batch;
  std::vector<uint64_t> keys;
  std::vector<uint64_t> scratch;
  std::vector<uint32_t> starts;
  std::priority_queue<Entry, std::vector<Entry>, std::greater<Entry>> same;
  Calendar cal;
  const bool any_outage = !sc.vantage.outages.empty();
  while (walk.next()) {
    const int64_t day_ns = walk.day_s() * kNs;
    const int64_t lo = std::max(from_ns, day_ns);
    const int64_t hi = std::min(to_ns, day_ns + 86400 * kNs);
    if (truth) truth->begin_day(walk.day_s());
    streams.clear();
    cal.reset(lo / kNs);
    const int32_t day = day_index(walk.day_s());
    for (uint32_t id : walk.alive()) {
      schedule.plan_day(id, walk.day_s(), plan);
      const Device& d = pop.devices[id];
      uint64_t recorded = 0, written = 0;
      if (plan.sent > 0) {
        ++stats.device_days;
        const core::Address src = book.address_on(d.slot, day);
        const core::Address dst = src.is_v4() ? sc.vantage.server : sc.vantage.server6;
        for (const Segment& s : plan.segments) {
          recorded += schedule.recorded(s, day_ns, day_ns + 86400 * kNs);
          const uint64_t w = schedule.recorded(s, lo, hi);
          if (w == 0) continue;
          written += w;
          Stream& st = streams.emplace_back();
          st.seg = s;
          st.seg.end_ns = std::min(s.end_ns, hi);
          st.id = id;
          st.frame = FrameTemplate(src, dst, static_cast<uint8_t>(40 + mix64(d.slot) % 25));
          cal.push({s.time_of(s.index_at_or_after(lo)), static_cast<uint32_t>(streams.size() - 1)});
        }
      }
      if (truth) truth->add(id, d, plan, recorded, written);
    }
    if (streams.empty()) continue;
    for (int64_t block = lo / kNs; block * kNs < hi; block += kRing) {
      cal.start_block(block);
      for (int64_t sec = block; sec < block + kRing && sec * kNs < hi; ++sec) {
        batch.swap(cal.bucket(sec));
        cal.bucket(sec).clear();
        sort_second(batch, sec, keys, scratch, starts);
        size_t i = 0;
        while (i < batch.size() || !same.empty()) {
          Entry e;
          if (!same.empty() && (i == batch.size() || same.top() < batch[i])) {
            e = same.top();
            same.pop();
          } else {
            e = batch[i++];
          }
          // Streams and devices are visited in time order, i.e. at random: load them ahead.
          if (i + 8 < batch.size()) __builtin_prefetch(&streams[batch[i + 8].stream]);
          if (i + 4 < batch.size()) {
            __builtin_prefetch(&pop.devices[streams[batch[i + 4].stream].id]);
          }
          const Stream& st = streams[e.stream];
          if (!any_outage || !schedule.in_outage(e.t)) {
            const auto ntp = schedule.request(st.id, e.t);
            const uint16_t port = schedule.port_of(st.id, st.seg, e.t);
            const auto ip_id = static_cast<uint16_t>(mix64(static_cast<uint64_t>(e.t) ^ st.id));
            uint8_t* p = out.begin_record(e.t, kMaxFrame);
            out.commit(st.frame.write(p, port, ip_id, ntp.data()));
            ++stats.packets;
          }
          const int64_t next = e.t + st.seg.interval_ns;
          if (next < st.seg.end_ns) {
            if (next / kNs == sec)
              same.push({next, e.stream});
            else
              cal.push({next, e.stream});
          }
        }
        batch.clear();
      }
    }
  }
  return stats;
}

}  // namespace iotcensus::simulate

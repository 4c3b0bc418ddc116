// A day is linked in two passes: first every address that continues its own device, then the new
// addresses in time order, each taking over the device whose period and phase it continues.

#include "analyze/device_linker.h"

#include <algorithm>
#include <cmath>
#include <functional>
#include <unordered_set>

namespace iotcensus::analyze {

namespace {

// Packet-weighted quantile of (value, weight) pairs sorted by value.
double weighted_quantile(const std::vector<std::pair<double, uint64_t>>& v, uint64_t total,
                         double q) {
  if (v.empty() || total == 0) return 0;
  const double target = q * static_cast<double>(total);
  double seen = 0;
  for (const auto& [value, weight] : v) {
    seen += static_cast<double>(weight);
    if (seen >= target) return value;
  }
  return v.back().first;
}

constexpr double kRatioTolerance = 1e-6;   // two cadence ratios of one clock agree this well
constexpr size_t kRatioSupport = 3;        // devices that must share a ratio before it is used
constexpr uint64_t kChainDayDevicess = 2;  // move days two records of one chain may share
constexpr int kChainSwitches = 3;  // and the times it went back and forth (or 1 in 5 days seen)

// Whether the days of `a` and `b` in [from, to], taken in order, change from one to the other
// more than a device that moved back and forth a few times would: kChainSwitches times, or once
// in five of the days seen there when more.
bool alternate(const ActivityRecord& a, const ActivityRecord& b, int32_t from, int32_t to) {
  const std::vector<int32_t> x = a.days_in(from, to), y = b.days_in(from, to);
  size_t n = 0;
  int last = -1;
  size_t i = 0, j = 0;
  while (i < x.size() || j < y.size()) {
    int side;
    if (j == y.size() || (i < x.size() && x[i] < y[j])) {
      side = 0;
      ++i;
    } else if (i == x.size() || y[j] < x[i]) {
      side = 1;
      ++j;
    } else {  // a shared day: counted as shared, not as a switch
      ++i;
      ++j;
      continue;
    }
    if (last >= 0 && side != last) ++n;
    last = side;
  }
  return n > std::max<size_t>(kChainSwitches, (x.size() + y.size()) / 5);
}

}  // namespace

DeviceLinker::DeviceLinker(LinkOptions options, std::vector<int32_t> observed_days)
    : options_(options), observed_(std::move(observed_days)) {}

int32_t DeviceLinker::ordinal(int32_t day) const {
  return static_cast<int32_t>(std::lower_bound(observed_.begin(), observed_.end(), day) -
                              observed_.begin());
}

core::Address DeviceLinker::prefix_of(const core::Address& a) const {
  return a.prefix(a.is_v4() ? options_.v4_prefix : options_.v6_prefix);
}

bool DeviceLinker::fits(int64_t t, int64_t ref, int64_t period, double* residual) const {
  if (period <= 0 || ref <= 0) return false;
  const int64_t d = t - ref;
  const auto k = std::llround(static_cast<double>(d) / static_cast<double>(period));
  if (k <= 0) return false;
  const double r = std::abs(static_cast<double>(d - k * period));
  const double tol =
      static_cast<double>(options_.jitter_ns) + options_.drift * static_cast<double>(d);
  // A phase known to less than a twentieth of the period tells devices apart; a looser one
  // (a fast sender, a long absence) would match anything.
  if (tol > static_cast<double>(period) / 20 || r > tol) return false;
  if (residual) *residual = r / tol;
  return true;
}

// A row whose mean interval is longer than the device's period only because requests are
// missing inside the day (a vantage-point outage cuts hours out of a day): its first request
// continues the device's phase and its last lies a whole number of periods after its first.
bool DeviceLinker::gapped(const Track& t, const core::SourceDay& row) const {
  if (!row.timed || row.interval_ns <= 0) return false;
  const int r = regime(row.interval_ns);
  const int64_t p = t.period_ns[r];
  if (p <= 0 || row.interval_ns <= p) return false;
  return fits(row.first_ns, t.last_ns[r], p, nullptr) &&
         fits(row.last_ns, row.first_ns, p, nullptr);
}

bool DeviceLinker::conflicts(const Track& t, const core::SourceDay&, int32_t day) const {
  if (t.last_day == day) return true;  // the device was already seen today elsewhere
  // Gone longer than a move may take: whoever sends from the address now is a new device. (A
  // different period alone is no conflict: a day whose cadence changed mid-way, as at the start
  // or end of an unanswered episode, shows the mean of two periods on one port, and a day cut by
  // an outage shows a longer mean interval.)
  return ordinal(day) - ordinal(t.last_day) > options_.link_days;
}

uint32_t DeviceLinker::find_moved(const core::SourceDay& row, int32_t day) {
  auto it = by_prefix_.find(prefix_of(row.source));
  if (it == by_prefix_.end()) return kNone;
  std::vector<uint32_t>& list = it->second;
  const int32_t ord = ordinal(day);
  uint32_t best = kNone;
  double best_residual = 2;
  int matches = 0;
  size_t out = 0;
  for (size_t i = 0; i < list.size(); ++i) {
    const uint32_t id = list[i];
    const Track& t = tracks_[id];
    if (t.addresses == 0 || ord - ordinal(t.last_day) > options_.link_days) continue;  // dropped
    list[out++] = id;
    if (t.last_day == day && std::max(t.last_ns[0], t.last_ns[1]) >= row.first_ns) continue;
    const int64_t ref_first = row.timed ? row.first_ns : 0;
    for (int r = 0; r < 2; ++r) {
      if (t.period_ns[r] == 0) continue;
      if (row.interval_ns > 0 && regime(row.interval_ns) != r) continue;
      // A source with too few requests for a period is not flooding: answered regime only.
      if (row.interval_ns == 0 && r == 1) continue;
      double residual = 0;
      if (row.interval_ns > 0) {
        const double delta = std::abs(static_cast<double>(t.period_ns[r] - row.interval_ns));
        if (delta > period_tolerance(t.period_ns[r])) continue;
        // A period measured over a day of requests tells a device's clock apart from its
        // neighbours' even when its phase cannot be carried across days (fast senders).
        const double exact = static_cast<double>(options_.period_match_ns) +
                             1e-7 * static_cast<double>(t.period_ns[r]);
        if (delta <= exact) {
          residual = delta / exact;
        } else if (!fits(ref_first, t.last_ns[r], t.period_ns[r], &residual)) {
          continue;
        }
      } else if (!fits(ref_first, t.last_ns[r], t.period_ns[r], &residual)) {
        continue;
      }
      ++matches;
      // The most recently seen device first (an older record of the same clock is a device
      // that was lost track of), then the closest fit.
      if (best == kNone || t.last_day > tracks_[best].last_day ||
          (t.last_day == tracks_[best].last_day && residual < best_residual)) {
        best_residual = residual;
        best = id;
      }
    }
  }
  list.resize(out);
  if (matches > 1) ++ambiguous_;
  if (best == kNone && !row.source.is_v4()) {
    // An IPv6 /64 is one network: a new address there, with no clock to go by (a request or
    // two a day from a temporary address), is the class's only device of that /64 when there
    // is exactly one and nothing contradicts it.
    uint32_t sole = kNone;
    int n = 0;
    for (uint32_t id : list) {
      const Track& t = tracks_[id];
      if (t.addresses == 0 || t.last_day == day) continue;
      ++n;
      sole = id;
    }
    // A period that contradicts is another device; a shorter one than the device's answered
    // period is not one: the day holds its unanswered (flood) cadence, or both (the mean of a
    // day whose cadence changed).
    auto agrees = [&](const Track& t) {
      if (row.interval_ns == 0) return true;
      const auto row_ns = static_cast<double>(row.interval_ns);
      const int64_t answered = t.period_ns[0], flood = t.period_ns[1];
      if (answered > 0 && row_ns < static_cast<double>(answered) - period_tolerance(answered)) {
        return flood == 0 || row_ns >= static_cast<double>(flood) - period_tolerance(flood);
      }
      const int64_t p = t.period_ns[regime(row.interval_ns)];
      return p == 0 || std::abs(static_cast<double>(p) - row_ns) <= period_tolerance(p);
    };
    if (n == 1 && agrees(tracks_[sole])) {
      ++sole_links_;
      return sole;
    }
  }
  return best;
}

void DeviceLinker::update(uint32_t id, const core::SourceDay& row, int32_t day, DayCounts& counts) {
  Track& t = tracks_[id];
  const bool first_today = t.last_day != day;
  if (first_today) {
    if (t.addresses > 0) {
      const auto g = static_cast<size_t>(ordinal(day) - ordinal(t.last_day));
      if (gaps_.size() <= g) gaps_.resize(g + 1);
      ++gaps_[g];
    }
    ++counts.linked;
    counts.best_low += row.devices_low;
    counts.best += row.devices;
    counts.best_high += row.devices_high;
  } else {
    ++counts.moved;
  }
  if (row.interval_ns > 0) {
    const int r = regime(row.interval_ns);
    // A day's mean interval shorter than the answered period, and longer than the flood period
    // if one is known, is a day whose cadence changed (the mean of two): the clock is kept,
    // unless the next observed day shows the shorter period again (the device changed it).
    const int64_t answered = t.period_ns[0];
    const bool shorter =
        r == 0 && answered > 0 && first_today &&
        static_cast<double>(row.interval_ns) <
            static_cast<double>(answered) * (1 - 1e-5) - static_cast<double>(options_.jitter_ns) &&
        (t.period_ns[1] == 0 || row.interval_ns > t.period_ns[1]);
    const bool keep = shorter && !(t.shorter_seen && ordinal(day) == ordinal(t.last_day) + 1);
    t.shorter_seen = shorter;
    if (!keep && !gapped(t, row)) {  // a gapped day keeps the period
      t.period_ns[r] = row.interval_ns;
      if (r == 0) t.gap_period = false;
    }
    if (!keep) t.last_ns[r] = row.anchor_ns;
  } else if (row.timed) {
    // One request: it continues the answered period if one is known; else, seen on the
    // previous observed day too, the gap is the period of a slow (e.g. daily) poller.
    int64_t& last = t.last_ns[0];
    int64_t& period = t.period_ns[0];
    if (period == 0 && last > 0 && ordinal(day) == ordinal(t.last_day) + 1) {
      const int64_t gap = row.first_ns - last;
      if (gap >= 3'600'000'000'000 && gap <= 2 * 86'400'000'000'000) {
        period = gap;
        t.gap_period = true;
      }
    }
    last = row.last_ns;
  }
  if (t.addresses == 0) {
    t.first_day = day;
    t.first_address = address_index_.at(row.source);
  }
  t.last_day = day;
  if (row.devices > 1) {
    auto& days = shared_[id];
    const auto n = static_cast<uint16_t>(std::min(row.devices, 65535u));
    if (!days.empty() && days.back().day == day) {
      days.back().devices = std::max(days.back().devices, n);
    } else {
      days.push_back({day, n});
    }
  }
  track_activity_[id].add(day);
}

void DeviceLinker::add_day(int32_t day, std::vector<core::SourceDay>& rows) {
  DayCounts c;
  c.day_s = static_cast<int64_t>(day) * 86400;
  std::sort(rows.begin(), rows.end(),
            [](const auto& a, const auto& b) { return a.first_ns < b.first_ns; });
  std::unordered_set<core::Address, AddressHash> p24, p64, p48;
  std::vector<std::pair<double, uint64_t>> periods;
  uint64_t period_packets = 0;
  std::vector<uint32_t> owner_of(rows.size(), kNone);
  // Pass 1: addresses that continue their own device (checked before any is updated today).
  for (size_t i = 0; i < rows.size(); ++i) {
    const core::SourceDay& row = rows[i];
    c.packets += row.packets;
    ++c.sources;
    if (row.source.is_v4()) {
      p24.insert(row.source.prefix(24));
    } else {
      p64.insert(row.source.prefix(64));
      p48.insert(row.source.prefix(48));
    }
    c.nat_low += row.devices_low;
    c.nat += row.devices;
    c.nat_high += row.devices_high;
    if (row.interval_ns > 0) {
      periods.push_back({static_cast<double>(row.interval_ns) * 1e-9, row.packets});
      period_packets += row.packets;
    }
    auto [ai, fresh] = address_index_.try_emplace(row.source, address_activity_.size());
    if (fresh) {
      address_activity_.emplace_back();
      addresses_.push_back(row.source);
    }
    address_activity_[ai->second].add(day);
    auto own = owner_.find(row.source);
    if (own != owner_.end() && !conflicts(tracks_[own->second], row, day)) {
      owner_of[i] = own->second;
    }
  }
  // An owner not seen on the previous observed day may be a stale record of a device that is
  // now tracked elsewhere (it came back to an old address): such rows go through pass 2 first
  // and fall back on their owner when no device continues there.
  std::vector<uint32_t> fallback(rows.size(), kNone);
  for (size_t i = 0; i < rows.size(); ++i) {
    if (owner_of[i] == kNone) continue;
    if (ordinal(day) - ordinal(tracks_[owner_of[i]].last_day) > 1) {
      fallback[i] = owner_of[i];
      owner_of[i] = kNone;
    }
  }
  std::vector<char> claimed(rows.size(), 0);
  for (size_t i = 0; i < rows.size(); ++i) {
    if (owner_of[i] == kNone) continue;
    // Two addresses cannot both continue one device on the same day: the earlier keeps it.
    if (tracks_[owner_of[i]].last_day == day) {
      owner_of[i] = kNone;
      continue;
    }
    update(owner_of[i], rows[i], day, c);
    claimed[i] = 1;
  }
  // Pass 2: new addresses, in time order: a moved device, else a new one.
  for (size_t i = 0; i < rows.size(); ++i) {
    if (claimed[i]) continue;
    const core::SourceDay& row = rows[i];
    auto own = owner_.find(row.source);
    if (own != owner_.end()) owner_.erase(own);
    uint32_t id = find_moved(row, day);
    const uint32_t was = fallback[i];
    if (id == kNone && was != kNone && tracks_[was].last_day != day) id = was;
    if (id != kNone && was != kNone && id != was && tracks_[was].last_day != day &&
        tracks_[was].first_day > tracks_[id].last_day) {
      // The address's device continues the clock of an older record: the two are one device
      // that was lost track of in between (its cadence changed), so the records are joined.
      absorb(id, was);
      ++relinked_;
    }
    if (id == kNone) {
      id = static_cast<uint32_t>(tracks_.size());
      tracks_.emplace_back();
      track_activity_.emplace_back();
      by_prefix_[prefix_of(row.source)].push_back(id);
      ++c.born;
    } else {
      // The device left its old address: a later source there is someone else.
      auto old = owner_.find(addresses_[tracks_[id].address]);
      if (old != owner_.end() && old->second == id) owner_.erase(old);
    }
    update(id, row, day, c);
    const uint32_t index = address_index_[row.source];
    if (tracks_[id].addresses == 0 || tracks_[id].address != index) ++tracks_[id].addresses;
    tracks_[id].address = index;
    owner_[row.source] = id;
  }
  c.prefixes24 = p24.size();
  c.prefixes64 = p64.size();
  c.prefixes48 = p48.size();
  std::sort(periods.begin(), periods.end());
  c.period_q25_s = weighted_quantile(periods, period_packets, 0.25);
  c.period_median_s = weighted_quantile(periods, period_packets, 0.5);
  c.period_q75_s = weighted_quantile(periods, period_packets, 0.75);
  days_.push_back(c);
}

double DeviceLinker::period_tolerance(int64_t p) const {
  return static_cast<double>(options_.jitter_ns) + 1e-5 * static_cast<double>(p);
}

bool DeviceLinker::same_period(int64_t p, int64_t q) const {
  return std::abs(static_cast<double>(p - q)) <= period_tolerance(std::max(p, q));
}

// Only periods measured inside a day are a clock when `measured_only`: the gap between two days'
// single requests is one for a device that polls daily, and anything for one that is switched on
// and off.
int64_t DeviceLinker::period_of(const Track& t, int r, bool measured_only) {
  return measured_only && r == 0 && t.gap_period ? 0 : t.period_ns[r];
}

bool DeviceLinker::periods_agree(const Track& a, const Track& b, bool measured_only) const {
  for (int r = 0; r < 2; ++r) {
    const int64_t p = period_of(a, r, measured_only), q = period_of(b, r, measured_only);
    if (p != 0 && q != 0 && !same_period(p, q)) return false;
  }
  return true;
}

// One clock drives both cadences of a device, so answered period / flood period is the same few
// values for every device of a class (the firmware's two intervals). Learnt from devices seen in
// both, they pair a record that went silent in one cadence with one that appeared in the other
// (a move on the day the cadence changed).
void DeviceLinker::learn_clock_ratios() {
  std::vector<double> ratios;
  for (const Track& t : tracks_) {
    if (t.addresses > 0 && t.period_ns[0] > 0 && t.period_ns[1] > 0) {
      ratios.push_back(static_cast<double>(t.period_ns[0]) / static_cast<double>(t.period_ns[1]));
    }
  }
  std::sort(ratios.begin(), ratios.end());
  clock_ratios_.clear();  // values shared by at least kRatioSupport devices
  for (size_t i = 0; i < ratios.size();) {
    size_t j = i;
    while (j < ratios.size() && ratios[j] <= ratios[i] * (1 + kRatioTolerance)) ++j;
    if (j - i >= kRatioSupport) clock_ratios_.push_back(ratios[(i + j) / 2]);
    i = j;
  }
}

bool DeviceLinker::same_clock(const Track& a, const Track& b) const {
  for (int r = 0; r < 2; ++r) {
    const int64_t p = a.period_ns[1 - r], q = b.period_ns[r];  // a's other cadence vs b's
    if (p <= 0 || q <= 0 || a.period_ns[r] > 0 || b.period_ns[1 - r] > 0) continue;
    const double ratio = r == 0 ? static_cast<double>(q) / static_cast<double>(p)
                                : static_cast<double>(p) / static_cast<double>(q);
    for (double c : clock_ratios_) {
      if (std::abs(ratio - c) <= kRatioTolerance * c) return true;
    }
  }
  return false;
}

void DeviceLinker::join_unseen_moves() {
  const int32_t k = options_.unseen_move_days;
  if (k <= 0 || observed_.empty()) return;
  const int32_t last_ord = static_cast<int32_t>(observed_.size()) - 1;
  // Ends (devices gone for good before the record's end) and starts (devices first seen after
  // its first day), per prefix.
  struct Mark {
    int32_t ord;
    uint32_t track;
  };
  std::unordered_map<core::Address, std::pair<std::vector<Mark>, std::vector<Mark>>, AddressHash>
      by_prefix;
  for (uint32_t id = 0; id < tracks_.size(); ++id) {
    const Track& t = tracks_[id];
    if (t.addresses == 0) continue;
    const int32_t end = ordinal(t.last_day);
    const int32_t start = ordinal(t.first_day);
    if (end + k <= last_ord) {
      by_prefix[prefix_of(addresses_[t.address])].first.push_back({end, id});
    }
    if (start > 0) by_prefix[prefix_of(addresses_[t.first_address])].second.push_back({start, id});
  }
  std::vector<std::pair<int32_t, std::pair<uint32_t, uint32_t>>> pairs;  // (end ord, (end, start))
  for (auto& [prefix, marks] : by_prefix) {
    auto& [ends, starts] = marks;
    if (ends.empty() || starts.empty()) continue;
    // Candidates within k observed days with no contradicting period; those that share the
    // device's clock across a cadence change, when there are any, are the only candidates.
    auto candidates = [&](const Mark& e, const std::vector<Mark>& pool, bool forward) {
      std::vector<uint32_t> out, clock;
      for (const Mark& m : pool) {
        const int32_t gap = forward ? m.ord - e.ord : e.ord - m.ord;
        if (gap < 1 || gap > k || m.track == e.track) continue;
        if (!periods_agree(tracks_[e.track], tracks_[m.track])) continue;
        out.push_back(m.track);
        if (same_clock(tracks_[e.track], tracks_[m.track])) clock.push_back(m.track);
      }
      return clock.empty() ? out : clock;
    };
    for (const Mark& e : ends) {
      const auto fwd = candidates(e, starts, true);
      if (fwd.size() != 1) continue;
      const Mark* s = nullptr;
      for (const Mark& m : starts) {
        if (m.track == fwd[0]) s = &m;
      }
      const auto back = candidates(*s, ends, false);
      if (back.size() == 1 && back[0] == e.track) pairs.push_back({e.ord, {e.track, s->track}});
    }
  }
  // Join in time order; a chain of moves ends up in its first device.
  std::sort(pairs.begin(), pairs.end());
  std::vector<uint32_t> rep(tracks_.size());
  for (uint32_t i = 0; i < rep.size(); ++i) rep[i] = i;
  auto find = [&](uint32_t x) {
    while (rep[x] != x) x = rep[x] = rep[rep[x]];
    return x;
  };
  for (const auto& [ord, pair] : pairs) {
    const uint32_t a = find(pair.first), b = find(pair.second);
    if (a == b) continue;
    infer(a, b);
    absorb(a, b);
    rep[b] = a;
    ++unseen_moves_;
  }
}

void DeviceLinker::absorb(uint32_t a, uint32_t b) {
  Track& ta = tracks_[a];
  Track& tb = tracks_[b];
  // b began after a; the two may interleave (a prefix chain), so the gap is counted from a's
  // last day before b began, and the later of the two ends gives the current state.
  const int32_t before = track_activity_[a].last_before(tb.first_day);
  const auto g = static_cast<size_t>(
      std::max(1, ordinal(tb.first_day) - ordinal(before < 0 ? ta.first_day : before)));
  if (gaps_.size() <= g) gaps_.resize(g + 1);
  ++gaps_[g];
  const bool b_later = tb.last_day >= ta.last_day;
  for (int r = 0; r < 2; ++r) {
    if (tb.period_ns[r] != 0 && (b_later || ta.period_ns[r] == 0)) {
      ta.period_ns[r] = tb.period_ns[r];
      ta.last_ns[r] = tb.last_ns[r];
      if (r == 0) ta.gap_period = tb.gap_period;
    }
  }
  if (b_later) {
    ta.last_day = tb.last_day;
    ta.address = tb.address;
  }
  ta.first_day = std::min(ta.first_day, tb.first_day);
  ta.addresses = static_cast<uint16_t>(std::min(65535, ta.addresses + tb.addresses));
  tb.addresses = 0;
  track_activity_[a].absorb(track_activity_[b]);
  if (auto from = shared_.find(b); from != shared_.end()) {
    auto& into = shared_[a];
    into.insert(into.end(), from->second.begin(), from->second.end());
    shared_.erase(b);
    std::sort(into.begin(), into.end(), [](const DayDevices& x, const DayDevices& y) {
      return x.day != y.day ? x.day < y.day : x.devices > y.devices;
    });
    into.erase(std::unique(into.begin(), into.end(),
                           [](const DayDevices& x, const DayDevices& y) { return x.day == y.day; }),
               into.end());
  }
}

void DeviceLinker::infer(uint32_t into, uint32_t from) {
  const int32_t before = track_activity_[into].last_before(tracks_[from].first_day);
  inferred_.push_back({before < 0 ? tracks_[into].last_day : before, tracks_[from].first_day,
                       devices_behind(from)});
}

uint32_t DeviceLinker::devices_behind(uint32_t track) const {
  const std::vector<DayDevices>& shared = shared_days_of(track);
  const uint64_t need = (track_activity_[track].days() + 4) / 5;  // a fifth of its days
  if (need == 0 || shared.size() < need) return 1;
  std::vector<uint16_t> n;
  n.reserve(shared.size());
  for (const DayDevices& s : shared) n.push_back(s.devices);
  std::nth_element(n.begin(), n.begin() + static_cast<ptrdiff_t>(need - 1), n.end(),
                   std::greater<>());
  return n[need - 1];
}

const std::vector<DayDevices>& DeviceLinker::shared_days_of(uint32_t track) const {
  static const std::vector<DayDevices> kNoDays;
  auto it = shared_.find(track);
  return it == shared_.end() ? kNoDays : it->second;
}

bool DeviceLinker::clocks_allow(uint32_t a_id, uint32_t b_id) const {
  // Behind a shared address the period kept is whichever sender was seen last: no clock.
  if (shared_.count(a_id) || shared_.count(b_id)) return true;
  const Track& a = tracks_[a_id];
  const Track& b = tracks_[b_id];
  bool a_clock = false, b_clock = false, common = false;
  for (int r = 0; r < 2; ++r) {
    a_clock |= period_of(a, r, true) != 0;
    b_clock |= period_of(b, r, true) != 0;
    common |= period_of(a, r, true) != 0 && period_of(b, r, true) != 0;
  }
  // Two clocks with no cadence in common: one clock only when their ratio is the class's.
  if (a_clock && b_clock && !common) return same_clock(a, b);
  return periods_agree(a, b, true);
}

void DeviceLinker::join_prefix_chains() {
  if (!options_.prefix_chains) return;
  std::unordered_map<core::Address, std::vector<uint32_t>, AddressHash> by_prefix;
  for (uint32_t id = 0; id < tracks_.size(); ++id) {
    if (tracks_[id].addresses == 0) continue;
    by_prefix[prefix_of(addresses_[tracks_[id].first_address])].push_back(id);
  }
  for (auto& [prefix, ids] : by_prefix) {
    if (ids.size() < 2) continue;
    std::sort(ids.begin(), ids.end(), [&](uint32_t x, uint32_t y) {
      return std::pair{tracks_[x].first_day, x} < std::pair{tracks_[y].first_day, y};
    });
    // Each record joins the chain seen most recently before it began that it fits; else it
    // starts a chain.
    std::vector<uint32_t> chains;
    for (uint32_t id : ids) {
      const Track& t = tracks_[id];
      const ActivityRecord& days = track_activity_[id];
      uint32_t best = kNone;
      int32_t best_before = -1;
      for (uint32_t c : chains) {
        const int32_t before = track_activity_[c].last_before(t.first_day);
        if (before < 0 || before <= best_before) continue;
        if (ordinal(t.first_day) - ordinal(before) > options_.link_days) continue;
        if (!clocks_allow(c, id)) continue;
        // Seen on the same day at two addresses only on a day the device moved; and while both
        // were seen, it switched between them a few times (it went back to an old address),
        // not every few days (two devices).
        const uint64_t shared = track_activity_[c].shared_days(days);
        const uint64_t smaller = std::min(days.days(), track_activity_[c].days());
        if (shared > std::max<uint64_t>(kChainDayDevicess, smaller / 20)) continue;
        if (alternate(track_activity_[c], days, t.first_day, t.last_day)) continue;
        best = c;
        best_before = before;
      }
      if (best == kNone) {
        chains.push_back(id);
        continue;
      }
      infer(best, id);
      absorb(best, id);
      ++chain_joins_;
    }
  }
}

void DeviceLinker::finish() {
  learn_clock_ratios();
  join_unseen_moves();
  join_prefix_chains();
  for (auto& a : track_activity_) a.compact();
  for (auto& a : address_activity_) a.compact();
}

}  // namespace iotcensus::analyze
static_assert(sizeof(iotcensus::analyze::Track) <= 56,
              "per-device state is documented as 56 bytes");

// A day is linked in two passes: first every address that continues its own device, then the new
// addresses in time order, each taking over the device whose period and phase it continues.

#include "analyze/device_linker.h"

#include <algorithm>
#include <cmath>
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

bool DeviceLinker::conflicts(const Track& t, const core::SourceDay& row, int32_t day) const {
  if (t.last_day == day) return true;  // the device was already seen today elsewhere
  if (ordinal(day) - ordinal(t.last_day) > options_.link_days) return true;  // a new device
  if (row.interval_ns > 0) {
    const int r = regime(row.interval_ns);
    const int64_t p = t.period_ns[r];
    const double tol = static_cast<double>(options_.jitter_ns) +
                       1e-5 * static_cast<double>(std::max(p, row.interval_ns));
    if (p > 0 && std::abs(static_cast<double>(p - row.interval_ns)) > tol && !gapped(t, row)) {
      return true;
    }
  }
  return false;
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
    if (ord - ordinal(t.last_day) > options_.link_days) continue;  // dropped from the list
    list[out++] = id;
    if (t.last_day == day && std::max(t.last_ns[0], t.last_ns[1]) >= row.first_ns) continue;
    const int64_t ref_first = row.timed ? row.first_ns : 0;
    for (int r = 0; r < 2; ++r) {
      if (t.period_ns[r] == 0) continue;
      if (row.interval_ns > 0 && regime(row.interval_ns) != r) continue;
      double residual = 0;
      if (row.interval_ns > 0) {
        const double delta = std::abs(static_cast<double>(t.period_ns[r] - row.interval_ns));
        const double tol =
            static_cast<double>(options_.jitter_ns) + 1e-5 * static_cast<double>(t.period_ns[r]);
        if (delta > tol) continue;
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
      if (residual < best_residual) {
        best_residual = residual;
        best = id;
      }
    }
  }
  list.resize(out);
  if (matches > 1) ++ambiguous_;
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
    if (!gapped(t, row)) t.period_ns[r] = row.interval_ns;  // a gapped day keeps the period
    t.last_ns[r] = row.anchor_ns;
  } else if (row.timed) {
    // One request: it continues the answered period if one is known; else, seen on the
    // previous observed day too, the gap is the period of a slow (e.g. daily) poller.
    int64_t& last = t.last_ns[0];
    int64_t& period = t.period_ns[0];
    if (period == 0 && last > 0 && ordinal(day) == ordinal(t.last_day) + 1) {
      const int64_t gap = row.first_ns - last;
      if (gap >= 3'600'000'000'000 && gap <= 2 * 86'400'000'000'000) period = gap;
    }
    last = row.last_ns;
  }
  if (t.addresses == 0) t.first_day = day;
  t.last_day = day;
  t.devices = static_cast<uint16_t>(std::max<uint32_t>(t.devices, std::min(row.devices, 65535u)));
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
    ++tracks_[id].addresses;
    tracks_[id].address = address_index_[row.source];
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

void DeviceLinker::finish() {
  for (auto& a : track_activity_) a.compact();
  for (auto& a : address_activity_) a.compact();
}

}  // namespace iotcensus::analyze

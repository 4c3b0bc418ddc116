// Day estimators come from the linker's per-day counts; window estimators from the activity
// records (a device counts in the window ending on day x when it was seen in [x - L + 1, x]).

#include "analyze/population.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <deque>
#include <map>

namespace iotcensus::analyze {

namespace {

constexpr int64_t kDay = 86400;

// Adds `weight` to diff[] over the windows of length L that hold a day of the record: run
// [a, b] covers windows ending in [a, b + L - 1]. Calls on_interval with the merged intervals.
template <class OnInterval>
void cover(const ActivityRecord& record, int32_t L, OnInterval on_interval) {
  bool open = false;
  int32_t lo = 0, hi = 0;
  record.for_each_run([&](int32_t a, int32_t b) {
    const int32_t end = b + L - 1;
    if (open && a <= hi + 1) {
      hi = std::max(hi, end);
      return;
    }
    if (open) on_interval(lo, hi);
    lo = a;
    hi = end;
    open = true;
  });
  if (open) on_interval(lo, hi);
}

struct Series {
  int32_t d0 = 0;
  std::vector<double> v;
  void add(int32_t from, int32_t to, double w) {  // inclusive day numbers, clipped
    from = std::max(from, d0);
    to = std::min(to, d0 + static_cast<int32_t>(v.size()) - 2);
    if (to < from) return;
    v[static_cast<size_t>(from - d0)] += w;
    v[static_cast<size_t>(to - d0 + 1)] -= w;
  }
  void integrate() {
    for (size_t i = 1; i < v.size(); ++i) v[i] += v[i - 1];
  }
  double at(int32_t d) const {
    if (d < d0 || d - d0 >= static_cast<int32_t>(v.size())) return 0;
    return v[static_cast<size_t>(d - d0)];
  }
};

struct Chapman {
  double n = 0, low = 0, high = 0;
};

// Chapman's bias-corrected Lincoln-Petersen estimate with a normal 95 % interval, the low end
// no lower than the devices actually seen in either window.
Chapman chapman(double n1, double n2, double m) {
  Chapman c;
  c.n = (n1 + 1) * (n2 + 1) / (m + 1) - 1;
  const double var = (n1 + 1) * (n2 + 1) * (n1 - m) * (n2 - m) / ((m + 1) * (m + 1) * (m + 2));
  const double half = 1.959963984540054 * std::sqrt(std::max(var, 0.0));
  c.low = std::max(c.n - half, n1 + n2 - m);
  c.high = c.n + half;
  return c;
}

}  // namespace

const std::vector<EstimatorInfo>& population_estimators() {
  static const std::vector<EstimatorInfo> k = {
      {"best", "recommended: linked devices (churn) times the devices found behind each address"},
      {"raw", "distinct source addresses (what naive tools report)"},
      {"prefix24", "distinct IPv4 /24 prefixes"},
      {"prefix64", "distinct IPv6 /64 prefixes"},
      {"prefix48", "distinct IPv6 /48 prefixes"},
      {"nat", "devices behind each address (periodic senders split), summed over addresses"},
      {"churn",
       "addresses linked into devices across re-addressing (same class, prefix, period "
       "and phase, no overlap in time); one per address group"},
      {"rate", "packets x median period / bin length; flood days only (median period < 15 s)"},
      {"raw-7d", "distinct addresses in the 7 days ending on the day"},
      {"churn-7d", "distinct linked devices in the 7 days ending on the day"},
      {"best-7d", "linked devices times devices behind, in the 7 days ending on the day"},
      {"raw-30d", "distinct addresses in the 30 days ending on the day"},
      {"churn-30d", "distinct linked devices in the 30 days ending on the day"},
      {"best-30d", "linked devices times devices behind, in the 30 days ending on the day"},
      {"recapture-1d",
       "Chapman capture-recapture between the day and the day before: devices alive and "
       "observable, including those silent on both days"},
      {"recapture-7d", "Chapman capture-recapture between the 7-day window and the one before"},
      {"best-mean", "mean over the bin's observed days of the daily best"},
      {"births", "devices first seen (not present at the start of the record)"},
      {"deaths", "devices last seen, then unseen for more than W observed days"},
  };
  return k;
}

DailySeries estimator_series(const std::vector<EstimateRow>& rows, const std::string& estimator) {
  std::map<int64_t, double> by_day;
  for (const auto& r : rows) {
    if (r.estimator == estimator && !std::isnan(r.estimate)) {
      by_day[bin_start_of(r.bin_start, PopulationBin::kDay) / kDay] = r.estimate;
    }
  }
  DailySeries out;
  out.dates = true;
  out.source = estimator;
  for (const auto& [day, value] : by_day) {
    out.day.push_back(day);
    out.value.push_back(value);
  }
  return out;
}

int64_t bin_start_of(int64_t day_s, PopulationBin bin) {
  const int64_t day = day_s - ((day_s % kDay) + kDay) % kDay;
  switch (bin) {
    case PopulationBin::kDay:
      return day;
    case PopulationBin::kWeek: {
      // 1970-01-01 was a Thursday; weeks start on Monday.
      const int64_t n = day / kDay;
      const int64_t since_monday = ((n + 3) % 7 + 7) % 7;
      return (n - since_monday) * kDay;
    }
    case PopulationBin::kMonth:
      const std::chrono::sys_days sd{std::chrono::days{day / kDay}};
      const std::chrono::year_month_day ymd{sd};
      const std::chrono::sys_days first{ymd.year() / ymd.month() / std::chrono::day{1}};
      return static_cast<int64_t>(first.time_since_epoch().count()) * kDay;
  }
  return day;
}

std::vector<EstimateRow> estimate_population(const std::string& class_name,
                                             const DeviceLinker& linker,
                                             const std::vector<Life>& lives,
                                             const PopulationOptions& options) {
  std::vector<EstimateRow> out;
  const auto& observed = linker.observed_days();
  if (observed.empty()) return out;
  const int32_t d0 = observed.front();
  const int32_t d1 = observed.back();
  const size_t span = static_cast<size_t>(d1 - d0) + 2;
  std::map<int32_t, const DayCounts*> by_day;
  for (const DayCounts& c : linker.days()) by_day[static_cast<int32_t>(c.day_s / kDay)] = &c;
  static const DayCounts kZero{};
  auto counts = [&](int32_t d) -> const DayCounts& {
    auto it = by_day.find(d);
    return it == by_day.end() ? kZero : *it->second;
  };

  // Window series.
  auto make = [&] { return Series{d0, std::vector<double>(span, 0.0)}; };
  Series raw7 = make(), raw30 = make(), churn7 = make(), churn30 = make(), best7 = make(),
         best30 = make(), again1 = make(), again7 = make();
  for (const ActivityRecord& a : linker.address_activity()) {
    cover(a, 7, [&](int32_t lo, int32_t hi) { raw7.add(lo, hi, 1); });
    cover(a, 30, [&](int32_t lo, int32_t hi) { raw30.add(lo, hi, 1); });
  }
  // The devices each life stands for over time (NAT groups' members come and go): births and
  // deaths, and the weight of a NAT group in a window (the most on one day inside it).
  std::vector<LifeDevices> life_counts;
  life_counts.reserve(lives.size());
  std::map<uint32_t, std::vector<DayDevices>> levels;
  for (const Life& l : lives) {
    life_counts.push_back(life_devices(linker, l, options.absence_days));
    const auto& days = life_counts.back().levels;
    if (days.empty()) continue;
    auto& all = levels[l.track];
    all.insert(all.end(), days.begin(), days.end());
  }
  auto add_levels = [](const std::vector<DayDevices>& days, int32_t L, Series& series) {
    std::deque<DayDevices> q;  // sliding maximum of the days in [d - L + 1, d]
    size_t next = 0;
    if (days.empty()) return;
    for (int32_t d = days.front().day; d <= days.back().day + L - 1; ++d) {
      while (next < days.size() && days[next].day <= d) {
        while (!q.empty() && q.back().devices <= days[next].devices) q.pop_back();
        q.push_back(days[next++]);
      }
      while (!q.empty() && q.front().day < d - L + 1) q.pop_front();
      if (q.empty()) {  // nothing in the window: jump to the next day seen
        if (next < days.size()) d = days[next].day - 1;
        continue;
      }
      series.add(d, d, q.front().devices);
    }
  };
  std::vector<std::pair<int32_t, int32_t>> c1, c7;
  for (size_t id = 0; id < linker.tracks().size(); ++id) {
    const ActivityRecord& a = linker.track_activity()[id];
    const auto group = levels.find(static_cast<uint32_t>(id));
    const double w = group == levels.end() ? 1.0 : 0.0;
    cover(a, 7, [&](int32_t lo, int32_t hi) {
      churn7.add(lo, hi, 1);
      best7.add(lo, hi, w);
    });
    cover(a, 30, [&](int32_t lo, int32_t hi) {
      churn30.add(lo, hi, 1);
      best30.add(lo, hi, w);
    });
    if (group != levels.end()) {
      add_levels(group->second, 7, best7);
      add_levels(group->second, 30, best30);
    }
    // Seen in both windows: days x with x in C and x - L in C (C: the coverage intervals).
    for (auto [L, series, cov] : {std::tuple{1, &again1, &c1}, std::tuple{7, &again7, &c7}}) {
      cov->clear();
      cover(a, L, [&](int32_t lo, int32_t hi) { cov->push_back({lo, hi}); });
      size_t i = 0, j = 0;
      while (i < cov->size() && j < cov->size()) {
        const int32_t lo = std::max((*cov)[i].first, (*cov)[j].first + L);
        const int32_t hi = std::min((*cov)[i].second, (*cov)[j].second + L);
        if (lo <= hi) series->add(lo, hi, 1);
        if ((*cov)[i].second < (*cov)[j].second + L) {
          ++i;
        } else {
          ++j;
        }
      }
    }
  }
  for (Series* s : {&raw7, &raw30, &churn7, &churn30, &best7, &best30, &again1, &again7})
    s->integrate();

  // Births and deaths per bin, with bounds: high as if every join made without a clock were
  // wrong; low without the deaths that the device's return contradicts (and the births of the
  // returns), and as if every death followed within --link-days observed days by a birth in the
  // same prefix (no clock against it) were one device that moved unseen.
  struct BirthsDeaths {
    double births = 0, deaths = 0, births_low = 0, births_high = 0, deaths_low = 0, deaths_high = 0;
  };
  std::map<int64_t, BirthsDeaths> births_deaths;
  const int32_t w = options.absence_days;
  const auto last_ord = static_cast<int32_t>(observed.size()) - 1;
  auto bin_of = [&](int32_t day) { return bin_start_of(int64_t{day} * kDay, options.bin); };
  for (size_t i = 0; i < lives.size(); ++i) {
    const Life& l = lives[i];
    for (const LevelChange& c : life_counts[i].changes) {
      auto& bd = births_deaths[bin_of(c.day)];
      (c.delta > 0 ? bd.births : bd.deaths) += std::abs(c.delta);
    }
    if (l.state == LifeState::kDead && i + 1 < lives.size() && lives[i + 1].track == l.track) {
      births_deaths[bin_of(l.last_day)].deaths_low += l.devices;  // it came back
      births_deaths[bin_of(lives[i + 1].first_day)].births_low += lives[i + 1].devices;
    }
  }
  for (const InferredJoin& j : linker.inferred_joins()) {
    const int32_t end = linker.ordinal(j.end_day), start = linker.ordinal(j.start_day);
    if (start - end > w) continue;  // cut into two lives anyway
    if (start >= w) births_deaths[bin_of(j.start_day)].births_high += j.devices;
    if (end + w <= last_ord) births_deaths[bin_of(j.end_day)].deaths_high += j.devices;
  }
  {
    struct Mark {
      int32_t ord;
      size_t life;
    };
    std::map<std::pair<uint64_t, uint64_t>, std::pair<std::vector<Mark>, std::vector<Mark>>>
        by_prefix;  // prefix -> (deaths, births)
    auto prefix_key = [](const core::Address& a) {
      const core::Address p = a.prefix(a.is_v4() ? 24 : 64);
      return std::pair<uint64_t, uint64_t>{p.hi, p.lo};
    };
    for (size_t i = 0; i < lives.size(); ++i) {
      const Life& l = lives[i];
      const Track& t = linker.tracks()[l.track];
      if (l.state == LifeState::kDead) {
        by_prefix[prefix_key(linker.address_of(t))].first.push_back(
            {linker.ordinal(l.last_day), i});
      }
      if (!l.left_truncated) {
        by_prefix[prefix_key(linker.first_address_of(t))].second.push_back(
            {linker.ordinal(l.first_day), i});
      }
    }
    for (auto& [prefix, marks] : by_prefix) {
      auto& [ends, starts] = marks;
      if (ends.empty() || starts.empty()) continue;
      auto by_ord = [](const Mark& x, const Mark& y) { return x.ord < y.ord; };
      std::sort(ends.begin(), ends.end(), by_ord);
      std::sort(starts.begin(), starts.end(), by_ord);
      std::vector<char> used(starts.size(), 0);
      for (const Mark& e : ends) {
        for (size_t k = 0; k < starts.size(); ++k) {
          const int32_t gap = starts[k].ord - e.ord;
          if (used[k] || gap < 1) continue;
          if (gap > linker.options().link_days) break;
          const Life& dead = lives[e.life];
          const Life& born = lives[starts[k].life];
          if (dead.track == born.track || !linker.clocks_allow(dead.track, born.track)) continue;
          used[k] = 1;
          births_deaths[bin_of(born.first_day)].births_low += 1;
          births_deaths[bin_of(dead.last_day)].deaths_low += 1;
          break;
        }
      }
    }
  }
  auto row = [&](int64_t bin, const char* name, double e, double lo, double hi) {
    out.push_back(EstimateRow{bin, class_name, name, e, lo, hi});
  };
  auto exact = [&](int64_t bin, const char* name, double e) { row(bin, name, e, e, e); };
  auto births_and_deaths = [&](int64_t bin) {
    const auto it = births_deaths.find(bin);
    const BirthsDeaths bd = it == births_deaths.end() ? BirthsDeaths{} : it->second;
    row(bin, "births", bd.births, std::max(0.0, bd.births - bd.births_low),
        bd.births + bd.births_high);
    row(bin, "deaths", bd.deaths, std::max(0.0, bd.deaths - bd.deaths_low),
        bd.deaths + bd.deaths_high);
  };

  if (options.bin == PopulationBin::kDay) {
    for (int32_t d : observed) {
      const DayCounts& c = counts(d);
      const int64_t bin = int64_t{d} * kDay;
      row(bin, "best", static_cast<double>(c.best), static_cast<double>(c.best_low),
          static_cast<double>(c.best_high + c.moved));
      exact(bin, "raw", static_cast<double>(c.sources));
      exact(bin, "prefix24", static_cast<double>(c.prefixes24));
      exact(bin, "prefix64", static_cast<double>(c.prefixes64));
      exact(bin, "prefix48", static_cast<double>(c.prefixes48));
      row(bin, "nat", static_cast<double>(c.nat), static_cast<double>(c.nat_low),
          static_cast<double>(c.nat_high));
      row(bin, "churn", static_cast<double>(c.linked), static_cast<double>(c.linked),
          static_cast<double>(c.linked + c.moved));
      if (c.period_median_s > 0 && c.period_median_s < options.flood_below_s) {
        const double k = static_cast<double>(c.packets) / kDay;
        row(bin, "rate", k * c.period_median_s, k * c.period_q25_s, k * c.period_q75_s);
      }
      exact(bin, "raw-7d", raw7.at(d));
      row(bin, "churn-7d", churn7.at(d), churn7.at(d), raw7.at(d));
      row(bin, "best-7d", best7.at(d), churn7.at(d), best7.at(d) + raw7.at(d) - churn7.at(d));
      exact(bin, "raw-30d", raw30.at(d));
      row(bin, "churn-30d", churn30.at(d), churn30.at(d), raw30.at(d));
      row(bin, "best-30d", best30.at(d), churn30.at(d), best30.at(d) + raw30.at(d) - churn30.at(d));
      if (d > d0) {
        const double n1 = static_cast<double>(counts(d - 1).linked);
        const double n2 = static_cast<double>(c.linked);
        const Chapman ch = chapman(n1, n2, again1.at(d));
        row(bin, "recapture-1d", ch.n, ch.low, ch.high);
      }
      if (d - 7 >= d0) {
        const Chapman ch = chapman(churn7.at(d - 7), churn7.at(d), again7.at(d));
        row(bin, "recapture-7d", ch.n, ch.low, ch.high);
      }
      births_and_deaths(bin);
    }
    return out;
  }

  // Week and month bins: distinct entities over the bin.
  std::map<int64_t, std::pair<int32_t, int32_t>> bins;  // start -> first, last observed day
  for (int32_t d : observed) {
    const int64_t b = bin_start_of(int64_t{d} * kDay, options.bin);
    auto [it, fresh] = bins.try_emplace(b, d, d);
    if (!fresh) it->second.second = d;
  }
  for (const auto& [bin, range] : bins) {
    const auto [lo, hi] = range;
    double raw = 0, churn = 0, best = 0;
    for (const ActivityRecord& a : linker.address_activity()) {
      if (a.days_between(lo, hi) > 0) ++raw;
    }
    for (size_t id = 0; id < linker.tracks().size(); ++id) {
      if (linker.track_activity()[id].days_between(lo, hi) == 0) continue;
      ++churn;
      const auto group = levels.find(static_cast<uint32_t>(id));
      if (group == levels.end()) {
        best += 1;
        continue;
      }
      int32_t most = 1;
      for (const DayDevices& x : group->second) {
        if (x.day >= lo && x.day <= hi) most = std::max<int32_t>(most, x.devices);
      }
      best += most;
    }
    double mean = 0, mean_lo = 0, mean_hi = 0, n = 0;
    for (auto it = std::lower_bound(observed.begin(), observed.end(), lo);
         it != observed.end() && *it <= hi; ++it) {
      const DayCounts& c = counts(*it);
      mean += static_cast<double>(c.best);
      mean_lo += static_cast<double>(c.best_low);
      mean_hi += static_cast<double>(c.best_high + c.moved);
      ++n;
    }
    row(bin, "best", best, churn, best + raw - churn);
    exact(bin, "raw", raw);
    row(bin, "churn", churn, churn, raw);
    row(bin, "best-mean", mean / n, mean_lo / n, mean_hi / n);
    births_and_deaths(bin);
  }
  return out;
}

}  // namespace iotcensus::analyze

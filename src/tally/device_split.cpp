// Trains of several requests give a period at once; single requests (a NAT or a client that
// opens a new port per request) are grouped into arithmetic progressions. Sequences that do not
// overlap in time and agree in period and phase are one device that changed port.

#include "tally/device_split.h"

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdlib>
#include <tuple>

namespace iotcensus::tally {

namespace {

struct Sequence {
  int64_t first = 0;
  int64_t last = 0;
  int64_t period = 0;  // 0: unknown
  uint64_t packets = 0;
  bool short_run = false;  // three single requests: could be chance
};

double tolerance(const SplitOptions& o, int64_t span) {
  return static_cast<double>(o.jitter_ns) + o.drift * std::abs(static_cast<double>(span));
}

bool same_period(int64_t a, int64_t b, const SplitOptions& o) {
  return a > 0 && b > 0 && std::abs(static_cast<double>(a - b)) <= tolerance(o, std::max(a, b));
}

// Is `t` a request of a sender with this period that sent at `ref` (t != ref)?
bool fits(int64_t t, int64_t ref, int64_t period, const SplitOptions& o) {
  if (period <= 0) return false;
  const int64_t d = t - ref;
  const auto k = std::llround(static_cast<double>(d) / static_cast<double>(period));
  if (k == 0) return false;
  return std::abs(static_cast<double>(d - k * period)) <= tolerance(o, d);
}

// Adds `t` to a sequence it extends (outside its span, on its phase).
bool attach(std::vector<Sequence>& seqs, int64_t t, const SplitOptions& o) {
  for (Sequence& s : seqs) {
    if (t < s.first && fits(t, s.first, s.period, o)) {
      s.first = t;
    } else if (t > s.last && fits(t, s.last, s.period, o)) {
      s.last = t;
    } else {
      continue;
    }
    ++s.packets;
    return true;
  }
  return false;
}

// The unused point nearest `target` within `tol`, or -1.
std::ptrdiff_t find_point(const std::vector<int64_t>& pts, const std::vector<char>& used,
                          int64_t target, double tol) {
  const auto lo = static_cast<int64_t>(std::floor(static_cast<double>(target) - tol));
  auto it = std::lower_bound(pts.begin(), pts.end(), lo);
  std::ptrdiff_t best = -1;
  double best_d = tol;
  for (; it != pts.end() && static_cast<double>(*it) <= static_cast<double>(target) + tol; ++it) {
    const std::ptrdiff_t k = it - pts.begin();
    if (used[static_cast<size_t>(k)]) continue;
    const double d = std::abs(static_cast<double>(*it - target));
    if (d <= best_d) {
      best_d = d;
      best = k;
    }
  }
  return best;
}

constexpr int64_t kMaxSkip = 2;
constexpr uint64_t kSureRequests = 4;  // a sender this long is a device for the lower bound  //
                                       // missing requests a progression may step over

// Length and last point of the progression pts[i], pts[j], pts[j] + T, ... over unused points;
// marks them when `mark`.
size_t walk(const std::vector<int64_t>& pts, std::vector<char>& used, size_t i, size_t j,
            const SplitOptions& o, bool mark, int64_t& last) {
  const int64_t period = pts[j] - pts[i];
  size_t len = 2;
  last = pts[j];
  if (mark) used[i] = used[j] = 1;
  for (;;) {
    // The next request, or the one after a few that are missing (taken by another sequence,
    // or lost).
    std::ptrdiff_t k = -1;
    for (int64_t step = 1; step <= kMaxSkip + 1 && k < 0; ++step) {
      k = find_point(pts, used, last + step * period, tolerance(o, step * period));
    }
    if (k < 0) break;
    last = pts[static_cast<size_t>(k)];
    if (mark) used[static_cast<size_t>(k)] = 1;
    ++len;
  }
  return len;
}

constexpr size_t kCandidates = 8;      // next points tried as the second of a progression
constexpr size_t kMaxMergePass = 512;  // sequences beyond this are not merged pairwise

}  // namespace

DeviceSplit split_devices(std::vector<Train>& trains, const SplitOptions& o) {
  DeviceSplit out;
  if (trains.empty()) return out;
  // A total order on the trains' content: the split depends on the trains, not on the order
  // they came in (the tally's counting order is not the capture's).
  std::sort(trains.begin(), trains.end(), [](const Train& a, const Train& b) {
    return std::tie(a.first_ns, a.last_ns, a.packets) < std::tie(b.first_ns, b.last_ns, b.packets);
  });
  std::vector<Sequence> seqs;
  std::vector<int64_t> points;
  for (const Train& x : trains) {
    if (x.packets < 2 || x.last_ns <= x.first_ns) {
      points.push_back(x.first_ns);  // one request (or copies at one instant)
      continue;
    }
    if (x.packets == 2) {
      // Two requests on one port need not be consecutive (a client that draws a random port
      // per request draws the same one again now and then): two single requests.
      points.push_back(x.first_ns);
      points.push_back(x.last_ns);
      continue;
    }
    const int64_t period = (x.last_ns - x.first_ns) / static_cast<int64_t>(x.packets - 1);
    bool joined = false;
    for (Sequence& s : seqs) {
      if (s.last < x.first_ns && same_period(s.period, period, o) &&
          fits(x.first_ns, s.last, s.period, o)) {
        s.last = x.last_ns;
        s.packets += x.packets;
        joined = true;
        break;
      }
    }
    if (!joined) seqs.push_back(Sequence{x.first_ns, x.last_ns, period, x.packets, false});
  }

  // Single requests: onto known senders first, then into progressions of their own.
  std::sort(points.begin(), points.end());
  std::vector<int64_t> rest;
  for (int64_t t : points) {
    if (!attach(seqs, t, o)) rest.push_back(t);
  }
  std::vector<char> used(rest.size(), 0);
  for (size_t i = 0; i < rest.size(); ++i) {
    if (used[i]) continue;
    size_t best_len = 1, best_j = 0, tried = 0;
    for (size_t j = i + 1; j < rest.size() && tried < kCandidates; ++j) {
      if (used[j]) continue;
      ++tried;
      if (rest[j] - rest[i] < o.min_interval_ns) continue;
      int64_t last = 0;
      const size_t len = walk(rest, used, i, j, o, false, last);
      if (len > best_len) {
        best_len = len;
        best_j = j;
      }
    }
    if (best_len < 3) continue;
    int64_t last = 0;
    walk(rest, used, i, best_j, o, true, last);
    seqs.push_back(Sequence{rest[i], last, rest[best_j] - rest[i], best_len, best_len == 3});
  }
  std::vector<int64_t> lone;
  for (size_t i = 0; i < rest.size(); ++i) {
    if (!used[i] && !attach(seqs, rest[i], o)) lone.push_back(rest[i]);
  }

  // One device that changed port (NAT timeout) or paused: same period, same phase, no overlap.
  std::sort(seqs.begin(), seqs.end(),
            [](const Sequence& a, const Sequence& b) { return a.first < b.first; });
  if (seqs.size() <= kMaxMergePass) {
    for (size_t a = 0; a < seqs.size(); ++a) {
      for (size_t b = a + 1; b < seqs.size();) {
        if (seqs[a].last < seqs[b].first && same_period(seqs[a].period, seqs[b].period, o) &&
            fits(seqs[b].first, seqs[a].last, seqs[a].period, o)) {
          seqs[a].last = seqs[b].last;
          seqs[a].packets += seqs[b].packets;
          seqs[a].short_run = false;
          seqs.erase(seqs.begin() + static_cast<std::ptrdiff_t>(b));
        } else {
          ++b;
        }
      }
    }
  }

  // A client that draws a random port per request sometimes draws one again: the requests on
  // that port look like a slower sender on the same phase, or a lone request on the phase inside
  // another sender's span. They belong to that sender.
  std::sort(seqs.begin(), seqs.end(),
            [](const Sequence& a, const Sequence& b) { return a.packets > b.packets; });
  auto on_phase = [&](int64_t t, const Sequence& a) {
    return t == a.first || fits(t, a.first, a.period, o);
  };
  for (size_t b = seqs.size(); b-- > 1;) {
    for (size_t a = 0; a < b; ++a) {
      const Sequence& s = seqs[a];
      if (s.period <= 0 || seqs[b].period < s.period) continue;
      // Requests on one reused port are that sender's when both ends lie on its phase (three or
      // more on a port drawn at random are not evenly spaced: their "period" means nothing).
      if (!on_phase(seqs[b].first, s) || !on_phase(seqs[b].last, s)) continue;
      seqs[a].first = std::min(s.first, seqs[b].first);
      seqs[a].last = std::max(s.last, seqs[b].last);
      seqs[a].packets += seqs[b].packets;
      seqs.erase(seqs.begin() + static_cast<std::ptrdiff_t>(b));
      break;
    }
  }
  std::erase_if(lone, [&](int64_t t) {
    for (Sequence& s : seqs) {
      if (s.period > 0 && on_phase(t, s)) {
        s.first = std::min(s.first, t);
        s.last = std::max(s.last, t);
        ++s.packets;
        return true;
      }
    }
    return false;
  });

  out.devices = static_cast<uint32_t>(seqs.size() + lone.size());
  out.high = out.devices;
  for (const Sequence& s : seqs) {
    if (s.short_run) out.high += 2;
  }
  // Lower bound: senders active at the same instant must be different devices. Only senders
  // of at least kSureRequests count: a lone request or a short run inside another sender's span
  // may be a stray (a reused port, a retransmission) rather than a device.
  std::vector<std::pair<int64_t, int>> events;
  events.reserve(2 * seqs.size());
  for (const Sequence& s : seqs) {
    if (s.packets < kSureRequests) continue;
    events.push_back({s.first, -1});  // starts sort before ends at the same time
    events.push_back({s.last, +1});
  }
  std::sort(events.begin(), events.end());
  int active = 0, most = 0;
  for (const auto& [t, kind] : events) {
    active -= kind;
    most = std::max(most, active);
  }
  out.low = static_cast<uint32_t>(std::max(most, 1));
  const Sequence* top = nullptr;
  for (const Sequence& s : seqs) {
    if (!top || s.packets > top->packets) top = &s;
  }
  if (top) {
    out.interval_ns = top->period;
    out.anchor_ns = top->last;
  } else {
    out.anchor_ns = lone.empty() ? trains.back().last_ns : lone.back();
  }
  return out;
}

}  // namespace iotcensus::tally

// Benchmark input: a synthetic, time-ordered pcap of NTP client requests to one server, mostly
// flawed Netgear routers flooding every ~1.08 s, plus chrony-like and ntpdig-like clients.
//
// Deterministic: the same options and seed give a byte-identical file. Netgear requests carry
// the exact signature of rules/netgear.toml; chrony and ntpdig requests follow rules/clients.toml.
// Scheduling is a calendar queue: sources travel by value between buckets of 100 ms by the time
// of their next request; each bucket is sorted when its window comes, so the sweep reads memory
// in order (a small heap takes requests due again within the same window).

#include <fmt/format.h>
#include <CLI/CLI.hpp>

#include <algorithm>
#include <array>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <memory>
#include <random>
#include <string>
#include <unordered_set>
#include <vector>

#include "core/address.h"
#include "core/ntp_header.h"
#include "core/time_bin.h"

namespace iotcensus::bench {

namespace {

constexpr uint16_t kNtpPort = 123;
constexpr uint16_t kNetgearPort = 23457;
constexpr int64_t kNanos = core::kNanosPerSecond;
constexpr int64_t kWindowNs = 100'000'000;       // calendar bucket width
constexpr int64_t kNetgearJitterNs = 3'000'000;  // +-3 ms per request
constexpr double kNetgearIntervalSpread = 0.02;  // per-source interval within +-2 % of the mean
constexpr double kChronyIntervalS = 64.0;        // 2^6, chronyd's default minpoll
constexpr double kChronyIntervalSpread = 0.05;
constexpr double kNtpdigIntervalS = 3600.0;  // an hourly cron job running ntpdig once
constexpr double kNtpdigIntervalSpread = 0.01;
constexpr double kIpv6SourceShare = 0.05;
constexpr double kNetgearNatShare = 0.15;  // source port rewritten by a NAT
constexpr size_t kSourcesPerSlash24 = 50;
constexpr size_t kIpv6SourcesPerSlash48 = 5000;
constexpr size_t kMaxSlash48 = 64;
constexpr size_t kFrameV4 = 14 + 20 + 8 + 48;  // IPv4 total length 76, UDP length 56
constexpr size_t kFrameV6 = 14 + 40 + 8 + 48;
constexpr size_t kOutputBuffer = 16u << 20;
constexpr uint16_t kEphemeralLow = 32768;  // Linux ip_local_port_range
constexpr uint16_t kEphemeralHigh = 60999;

enum class Kind : uint8_t { kNetgear, kChrony, kNtpdig };

struct Options {
  std::string out;
  uint64_t sources = 1'000'000;
  uint64_t packets = 10'000'000;
  uint64_t seed = 1;
  std::string start = "2003-05-14T00:00:00Z";
  double netgear_share = 0.8;
  double interval_s = 1.08;
  std::string server = "128.105.39.11";
  std::string server6 = "2001:db8:123::123";
};

// SplitMix64: the per-packet random stream (jitter, ports, chrony's random transmit field).
class SplitMix {
 public:
  explicit SplitMix(uint64_t seed) : state_(seed) {}
  uint64_t next() {
    uint64_t z = (state_ += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  }
  // Uniform in [0, 1).
  double unit() { return static_cast<double>(next() >> 11) * 0x1.0p-53; }
  // Uniform integer in [lo, hi].
  uint64_t between(uint64_t lo, uint64_t hi) { return lo + next() % (hi - lo + 1); }

 private:
  uint64_t state_;
};

// One client with all it needs to send its next request. 48 bytes, moved by value through
// the calendar buckets, so that the time sweep reads buckets in order and nothing at random.
struct Source {
  int64_t next_ns = 0;  // time of the next request as sent (with jitter)
  int64_t base_ns = 0;  // undithered time of the next request
  int64_t interval_ns = 0;
  std::array<uint8_t, 16> address{};  // IPv4 in the first four bytes, network order
  uint16_t port = 0;  // fixed source port (Netgear, ntpdig); chrony picks one per request
  uint16_t ip_id = 0;
  uint8_t ttl = 64;
  Kind kind = Kind::kNetgear;
  bool v6 = false;
  bool seen = false;  // has sent a request already
};

// Min-heap order for std::push_heap / pop_heap (the rare same-window re-sends).
struct Later {
  bool operator()(const Source& a, const Source& b) const { return a.next_ns > b.next_ns; }
};
// Sort key of a bucket entry; ties keep bucket order, which is itself deterministic.
struct SweepKey {
  int64_t time_ns;
  uint32_t pos;
  bool operator<(const SweepKey& o) const {
    return time_ns != o.time_ns ? time_ns < o.time_ns : pos < o.pos;
  }
};

std::string json_escape(const std::string& s) {
  std::string out;
  for (const char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    if (static_cast<unsigned char>(c) < 0x20) {
      out += fmt::format("\\u{:04x}", static_cast<unsigned>(c));
      continue;
    }
    out += c;
  }
  return out;
}

bool public_slash24(uint32_t p, uint32_t server_slash24) {
  return p != server_slash24 && !core::is_special_purpose_slash24(p);
}

// A public-looking global unicast /48 (first 48 bits), avoiding 2001:db8::/32 and 2002::/16.
uint64_t public_slash48(std::mt19937_64& rng) {
  static constexpr uint16_t kRegions[] = {0x2001, 0x2400, 0x2600, 0x2800, 0x2a00, 0x2c00};
  const uint64_t r = rng();
  const uint16_t region = kRegions[r % std::size(kRegions)];
  uint16_t g0 = region;
  uint16_t g1 = static_cast<uint16_t>(r >> 16);
  if (region == 0x2001) {
    g1 = static_cast<uint16_t>(0x0200 + (r >> 16) % 0x0c00);  // 2001:200:: to 2001:dff::
    if (g1 == 0x0db8) g1 = 0x0db9;
  } else {
    g0 = static_cast<uint16_t>(region | ((r >> 8) & 0x0ff));
  }
  const uint16_t g2 = static_cast<uint16_t>(r >> 32);
  return (uint64_t{g0} << 32) | (uint64_t{g1} << 16) | g2;
}

void put16(uint8_t* p, uint16_t v) {
  p[0] = static_cast<uint8_t>(v >> 8);
  p[1] = static_cast<uint8_t>(v);
}
void put32(uint8_t* p, uint32_t v) {
  put16(p, static_cast<uint16_t>(v >> 16));
  put16(p + 2, static_cast<uint16_t>(v));
}
void put64(uint8_t* p, uint64_t v) {
  put32(p, static_cast<uint32_t>(v >> 32));
  put32(p + 4, static_cast<uint32_t>(v));
}
void put32le(uint8_t* p, uint32_t v) {
  p[0] = static_cast<uint8_t>(v);
  p[1] = static_cast<uint8_t>(v >> 8);
  p[2] = static_cast<uint8_t>(v >> 16);
  p[3] = static_cast<uint8_t>(v >> 24);
}

// Internet checksum (RFC 1071) partial sum of big-endian 16-bit words; `n` is even.
uint32_t sum16(const uint8_t* p, size_t n, uint32_t acc = 0) {
  for (size_t i = 0; i < n; i += 2) acc += (uint32_t{p[i]} << 8) | p[i + 1];
  return acc;
}
uint16_t fold(uint32_t acc) {
  while (acc >> 16) acc = (acc & 0xffff) + (acc >> 16);
  return static_cast<uint16_t>(~acc);
}

class CaptureWriter {
 public:
  explicit CaptureWriter(std::FILE* f) : file_(f), buffer_(new uint8_t[kOutputBuffer]) {}
  void header() {
    uint8_t h[24] = {};
    put32le(h, 0xa1b2c3d4);  // microsecond pcap, written little-endian
    h[4] = 2;                // version 2.4
    h[6] = 4;
    put32le(h + 16, 65535);  // snap length
    put32le(h + 20, 1);      // LINKTYPE_ETHERNET
    std::memcpy(buffer_.get(), h, sizeof h);
    used_ = sizeof h;
  }
  // Space for one record of `frame_len` bytes; the record header is filled in here.
  uint8_t* record(int64_t time_ns, size_t frame_len) {
    if (used_ + 16 + frame_len > kOutputBuffer && !flush()) return nullptr;
    uint8_t* r = buffer_.get() + used_;
    used_ += 16 + frame_len;
    put32le(r, static_cast<uint32_t>(time_ns / kNanos));
    put32le(r + 4, static_cast<uint32_t>(time_ns % kNanos / 1000));
    put32le(r + 8, static_cast<uint32_t>(frame_len));
    put32le(r + 12, static_cast<uint32_t>(frame_len));
    return r + 16;
  }
  bool flush() {
    if (used_ > 0 && std::fwrite(buffer_.get(), 1, used_, file_) != used_) return false;
    written_ += used_;
    used_ = 0;
    return true;
  }
  uint64_t written() const { return written_; }

 private:
  std::FILE* file_;
  std::unique_ptr<uint8_t[]> buffer_;
  size_t used_ = 0;
  uint64_t written_ = 0;
};

struct Totals {
  uint64_t packets = 0;
  uint64_t netgear_packets = 0;
  uint64_t netgear_port_23457 = 0;
  uint64_t chrony_packets = 0;
  uint64_t ntpdig_packets = 0;
  uint64_t v6_packets = 0;
  uint64_t sources_seen = 0;
  int64_t first_ns = 0;
  int64_t last_ns = 0;
};

class Generator {
 public:
  Generator(const Options& o, std::array<uint8_t, 4> server, std::array<uint8_t, 16> server6)
      : o_(o), server_(server), server6_(server6), rng_(o.seed), stream_(o.seed ^ 0x5eed5eed) {}

  void make_sources(int64_t start_ns);
  int64_t plan_duration_ns() const;
  void place_first_requests(int64_t start_ns, int64_t duration_ns);
  bool sweep(CaptureWriter& w, Totals& t);

  uint64_t count(Kind k) const { return kind_count_[static_cast<size_t>(k)]; }
  uint64_t count_v6() const { return v6_count_; }
  size_t slash24s() const { return slash24s_; }
  size_t slash48s() const { return slash48s_; }

 private:
  int64_t draw_interval_ns(Kind k) {
    const double u = std::uniform_real_distribution<double>(-1.0, 1.0)(rng_);
    double s = 0;
    switch (k) {
      case Kind::kNetgear:
        s = o_.interval_s * (1 + kNetgearIntervalSpread * u);
        break;
      case Kind::kChrony:
        s = kChronyIntervalS * (1 + kChronyIntervalSpread * u);
        break;
      case Kind::kNtpdig:
        s = kNtpdigIntervalS * (1 + kNtpdigIntervalSpread * u);
        break;
    }
    return std::max<int64_t>(1000, std::llround(s * 1e9));
  }
  int64_t jitter_ns(const Source& s) {
    if (s.kind != Kind::kNetgear) return 0;
    const int64_t amp = std::min(kNetgearJitterNs, s.interval_ns / 4);
    return static_cast<int64_t>(stream_.between(0, static_cast<uint64_t>(2 * amp))) - amp;
  }
  void write_packet(uint8_t* f, Source& s, int64_t time_ns);

  const Options& o_;
  std::array<uint8_t, 4> server_;
  std::array<uint8_t, 16> server6_;
  std::mt19937_64 rng_;
  SplitMix stream_;
  std::vector<Source> sources_;
  std::vector<std::vector<Source>> ring_;  // bucket i: next request in window i mod size
  int64_t origin_ns_ = 0;
  std::array<uint64_t, 3> kind_count_{};
  uint64_t v6_count_ = 0;
  size_t slash24s_ = 0;
  size_t slash48s_ = 0;
};

void Generator::make_sources(int64_t start_ns) {
  origin_ns_ = start_ns;
  sources_.resize(o_.sources);
  const double other_v6 =
      o_.netgear_share >= 1.0 ? 0.0 : std::min(1.0, kIpv6SourceShare / (1.0 - o_.netgear_share));
  std::uniform_real_distribution<double> unit(0.0, 1.0);
  uint64_t v4_sources = 0, v6_sources = 0;
  for (Source& s : sources_) {
    const double u = unit(rng_);
    if (u < o_.netgear_share) {
      s.kind = Kind::kNetgear;
    } else {
      s.kind = unit(rng_) < 0.5 ? Kind::kChrony : Kind::kNtpdig;
      s.v6 = unit(rng_) < other_v6;  // Netgear's 2003 firmware speaks IPv4 only
    }
    (s.v6 ? v6_sources : v4_sources)++;
    ++kind_count_[static_cast<size_t>(s.kind)];
  }
  v6_count_ = v6_sources;
  // IPv4: random public /24s, about kSourcesPerSlash24 hosts each, distinct hosts per /24.
  const uint32_t server_slash24 =
      (uint32_t{server_[0]} << 16) | (uint32_t{server_[1]} << 8) | server_[2];
  slash24s_ = std::max<size_t>(1, (v4_sources + kSourcesPerSlash24 - 1) / kSourcesPerSlash24);
  std::vector<uint32_t> prefixes;
  std::unordered_set<uint32_t> seen;
  while (prefixes.size() < slash24s_) {
    const auto p = static_cast<uint32_t>(rng_() & 0xffffff);
    if (public_slash24(p, server_slash24) && seen.insert(p).second) prefixes.push_back(p);
  }
  std::vector<uint8_t> used(prefixes.size(), 0);
  // IPv6: a few /48s, a few /64 subnets each, random interface identifiers.
  slash48s_ =
      v6_sources == 0 ? 0 : std::clamp<size_t>(v6_sources / kIpv6SourcesPerSlash48, 1, kMaxSlash48);
  std::vector<uint64_t> nets48;
  for (size_t i = 0; i < slash48s_; ++i) nets48.push_back(public_slash48(rng_));
  for (Source& s : sources_) {
    if (s.v6) {
      const uint64_t net = nets48[rng_() % nets48.size()];
      const uint64_t hi = (net << 16) | (rng_() & 0xff);  // subnets ::0 to ::ff of the /48
      uint64_t iid = rng_();
      if (iid == 0) iid = 1;
      for (int i = 0; i < 8; ++i) {
        s.address[i] = static_cast<uint8_t>(hi >> (56 - 8 * i));
        s.address[8 + i] = static_cast<uint8_t>(iid >> (56 - 8 * i));
      }
    } else {
      size_t p;
      do {
        p = rng_() % prefixes.size();
      } while (used[p] == 254);
      // A bijection of 0..253 onto the host numbers 1..254 (97 is prime to 254).
      const uint32_t host = 1 + (used[p]++ * 97u + p) % 254;
      put32(s.address.data(), (prefixes[p] << 8) | host);
    }
    s.interval_ns = draw_interval_ns(s.kind);
    s.ttl = static_cast<uint8_t>(64 - 6 - rng_() % 22);
    s.ip_id = static_cast<uint16_t>(rng_());
    switch (s.kind) {
      case Kind::kNetgear:
        s.port = unit(rng_) < kNetgearNatShare
                     ? static_cast<uint16_t>(1024 + rng_() % (65536 - 1024))
                     : kNetgearPort;
        if (s.port == kNtpPort) s.port = kNetgearPort;
        break;
      case Kind::kNtpdig:
        s.port =
            static_cast<uint16_t>(kEphemeralLow + rng_() % (kEphemeralHigh - kEphemeralLow + 1));
        break;
      case Kind::kChrony:
        break;
    }
  }
}

// The capture length at which the expected packet count reaches --packets, when every source
// sends its first request within min(its interval, the capture length): sum of max(1, D / I).
int64_t Generator::plan_duration_ns() const {
  auto expected = [&](double d_s) {
    double n = 0;
    for (const Source& s : sources_)
      n += std::max(1.0, d_s * 1e9 / static_cast<double>(s.interval_ns));
    return n;
  };
  const double target = static_cast<double>(o_.packets);
  if (expected(1.0) >= target) return kNanos;  // more sources than packets: one short second
  double lo = 1.0, hi = 2.0;
  while (expected(hi) < target && hi < 1e9) hi *= 2;
  for (int i = 0; i < 40; ++i) {
    const double mid = (lo + hi) / 2;
    (expected(mid) < target ? lo : hi) = mid;
  }
  return std::llround(hi * 1e9);
}

void Generator::place_first_requests(int64_t start_ns, int64_t duration_ns) {
  int64_t max_interval = 0;
  for (const Source& s : sources_) max_interval = std::max(max_interval, s.interval_ns);
  ring_.assign(static_cast<size_t>((max_interval + kNetgearJitterNs) / kWindowNs + 3), {});
  for (Source& s : sources_) {
    const int64_t span = std::min(s.interval_ns, duration_ns);
    s.base_ns = start_ns + static_cast<int64_t>(rng_() % static_cast<uint64_t>(span));
    s.next_ns = std::max(start_ns, s.base_ns + jitter_ns(s));
    ring_[static_cast<size_t>((s.next_ns - origin_ns_) / kWindowNs) % ring_.size()].push_back(s);
  }
  std::vector<Source>().swap(sources_);
}

void Generator::write_packet(uint8_t* f, Source& s, int64_t time_ns) {
  static constexpr uint8_t kEthernetV4[14] = {0x02, 0, 0, 0, 0,    0x7b, 0x02,
                                              0,    0, 0, 0, 0x01, 0x08, 0x00};
  static constexpr uint8_t kEthernetV6[14] = {0x02, 0, 0, 0, 0,    0x7b, 0x02,
                                              0,    0, 0, 0, 0x01, 0x86, 0xdd};
  uint8_t* udp;
  uint32_t pseudo;  // pseudo-header sum for the UDP checksum
  if (!s.v6) {
    std::memcpy(f, kEthernetV4, 14);
    uint8_t* ip = f + 14;
    ip[0] = 0x45;
    ip[1] = 0;
    put16(ip + 2, 76);
    const bool linux_host = s.kind != Kind::kNetgear;
    put16(ip + 4, linux_host ? static_cast<uint16_t>(stream_.next()) : s.ip_id++);
    put16(ip + 6, linux_host ? 0x4000 : 0);  // Linux sets DF; the 2003 router does not
    ip[8] = s.ttl;
    ip[9] = 17;
    put16(ip + 10, 0);
    std::memcpy(ip + 12, s.address.data(), 4);
    std::memcpy(ip + 16, server_.data(), 4);
    put16(ip + 10, fold(sum16(ip, 20)));
    udp = ip + 20;
    pseudo = sum16(ip + 12, 8, 17 + 56);
  } else {
    std::memcpy(f, kEthernetV6, 14);
    uint8_t* ip = f + 14;
    put32(ip, 0x60000000);
    put16(ip + 4, 56);
    ip[6] = 17;
    ip[7] = s.ttl;
    std::memcpy(ip + 8, s.address.data(), 16);
    std::memcpy(ip + 24, server6_.data(), 16);
    udp = ip + 40;
    pseudo = sum16(ip + 8, 32, 17 + 56);
  }
  uint16_t src_port = s.port;
  if (s.kind == Kind::kChrony) {
    src_port = static_cast<uint16_t>(stream_.between(kEphemeralLow, kEphemeralHigh));
  }
  put16(udp, src_port);
  put16(udp + 2, kNtpPort);
  put16(udp + 4, 56);
  put16(udp + 6, 0);
  uint8_t* ntp = udp + 8;
  std::memset(ntp, 0, 48);
  switch (s.kind) {
    case Kind::kNetgear:
      ntp[0] = 0x0b;  // LI 0, VN 1, mode 3; all else zero, transmit timestamp included
      break;
    case Kind::kChrony: {
      ntp[0] = 0x23;  // LI 0, VN 4, mode 3
      ntp[2] = 6;     // poll 2^6
      ntp[3] = 32;    // precision +32 in client mode
      uint64_t tx = stream_.next();
      put64(ntp + 40, tx == 0 ? 1 : tx);  // 64 random bits, not the time
      break;
    }
    case Kind::kNtpdig: {
      ntp[0] = 0xe3;  // LI 3, VN 4, mode 3
      // The clock as a double through Python: low 11 bits of the 32.32 value are zero.
      const uint64_t sec = static_cast<uint64_t>(time_ns / kNanos + core::kNtpUnixOffset);
      const uint64_t frac = (static_cast<uint64_t>(time_ns % kNanos) << 32) / kNanos;
      put64(ntp + 40, ((sec << 32) | frac) & ~uint64_t{0x7ff});
      break;
    }
  }
  uint16_t check = fold(sum16(udp, 56, pseudo));
  if (check == 0) check = 0xffff;  // zero means "no checksum"
  put16(udp + 6, check);
}

bool Generator::sweep(CaptureWriter& w, Totals& t) {
  const size_t ring = ring_.size();
  std::vector<SweepKey> keys;
  std::vector<Source> late;  // min-heap of requests due again within the window being swept
  for (uint64_t window = 0; t.packets < o_.packets; ++window) {
    std::vector<Source>& bucket = ring_[window % ring];
    keys.resize(bucket.size());
    for (uint32_t i = 0; i < bucket.size(); ++i) keys[i] = SweepKey{bucket[i].next_ns, i};
    std::sort(keys.begin(), keys.end());
    size_t k = 0;
    while (t.packets < o_.packets) {
      Source* s;
      const bool from_late =
          !late.empty() && (k == keys.size() || late.front().next_ns < keys[k].time_ns);
      if (from_late) {
        std::pop_heap(late.begin(), late.end(), Later{});
        s = &late.back();
      } else if (k < keys.size()) {
        s = &bucket[keys[k++].pos];
      } else {
        break;
      }
      const int64_t time_ns = s->next_ns;
      uint8_t* frame = w.record(time_ns, s->v6 ? kFrameV6 : kFrameV4);
      if (frame == nullptr) return false;
      write_packet(frame, *s, time_ns);
      if (t.packets == 0) t.first_ns = time_ns;
      t.last_ns = time_ns;
      ++t.packets;
      t.sources_seen += !s->seen;
      s->seen = true;
      switch (s->kind) {
        case Kind::kNetgear:
          ++t.netgear_packets;
          t.netgear_port_23457 += s->port == kNetgearPort;
          break;
        case Kind::kChrony:
          ++t.chrony_packets;
          break;
        case Kind::kNtpdig:
          ++t.ntpdig_packets;
          break;
      }
      t.v6_packets += s->v6;
      s->base_ns += s->interval_ns;
      s->next_ns = s->base_ns + jitter_ns(*s);
      const auto next_window = static_cast<uint64_t>((s->next_ns - origin_ns_) / kWindowNs);
      if (next_window == window) {  // only when an interval is shorter than a window
        if (!from_late) late.push_back(*s);
        std::push_heap(late.begin(), late.end(), Later{});
      } else {
        ring_[next_window % ring].push_back(*s);  // never the bucket being swept
        if (from_late) late.pop_back();
      }
    }
    bucket.clear();
  }
  return true;
}

int run(const Options& o) {
  const auto start_s = core::parse_iso8601(o.start);
  if (!start_s) {
    fmt::print(stderr, "make_ntp_capture: --start '{}' is not an ISO 8601 time\n", o.start);
    return 2;
  }
  const auto server = core::Address::parse(o.server);
  const auto server6 = core::Address::parse(o.server6);
  if (!server || !server->is_v4() || !server6 || server6->is_v4()) {
    fmt::print(stderr, "make_ntp_capture: --server must be IPv4 and --server6 IPv6\n");
    return 2;
  }
  if (o.sources == 0 || o.sources > UINT32_MAX || o.packets == 0 || o.netgear_share < 0 ||
      o.netgear_share > 1 || !(o.interval_s > 1e-6)) {
    fmt::print(stderr,
               "make_ntp_capture: need 1 <= --sources < 2^32, --packets >= 1, "
               "0 <= --netgear-share <= 1, --interval-s > 0\n");
    return 2;
  }
  std::array<uint8_t, 4> server4{};
  std::memcpy(server4.data(), server->bytes().data() + 12, 4);
  const auto clock_start = std::chrono::steady_clock::now();

  Generator g(o, server4, server6->bytes());
  const int64_t start_ns = *start_s * kNanos;
  g.make_sources(start_ns);
  const int64_t duration_ns = g.plan_duration_ns();
  g.place_first_requests(start_ns, duration_ns);

  std::FILE* f = std::fopen(o.out.c_str(), "wb");
  if (f == nullptr) {
    fmt::print(stderr, "make_ntp_capture: cannot create {}: {}\n", o.out, std::strerror(errno));
    return 1;
  }
  CaptureWriter w(f);
  w.header();
  Totals t;
  const bool ok = g.sweep(w, t) && w.flush();
  if (std::fclose(f) != 0 || !ok) {
    fmt::print(stderr, "make_ntp_capture: writing {} failed: {}\n", o.out, std::strerror(errno));
    return 1;
  }
  const double elapsed =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - clock_start).count();
  const double span_s = static_cast<double>(t.last_ns - t.first_ns) / 1e9;
  fmt::print(stderr,
             "make_ntp_capture: {}: {} packets from {} of {} sources ({} Netgear, {} chrony-like, "
             "{} ntpdig-like; {} IPv6 in {} /48s, IPv4 in {} /24s), {} .. +{:.3f} s, {} bytes, "
             "{:.2f} s\n",
             o.out, t.packets, t.sources_seen, o.sources, g.count(Kind::kNetgear),
             g.count(Kind::kChrony), g.count(Kind::kNtpdig), g.count_v6(), g.slash48s(),
             g.slash24s(), core::format_iso8601(core::floor_seconds(t.first_ns)), span_s,
             w.written(), elapsed);
  // One JSON line on stdout for scripts.
  fmt::print(
      "{{\"file\":\"{}\",\"seed\":{},\"packets\":{},\"ntp_packets\":{},\"sources\":{},"
      "\"sources_seen\":{},\"netgear_sources\":{},\"chrony_sources\":{},\"ntpdig_sources\":{},"
      "\"ipv6_sources\":{},\"netgear_packets\":{},\"netgear_port_23457\":{},"
      "\"chrony_packets\":{},\"ntpdig_packets\":{},\"ipv6_packets\":{},\"first_ns\":{},"
      "\"last_ns\":{},\"bytes\":{},\"seconds\":{:.3f}}}\n",
      json_escape(o.out), o.seed, t.packets, t.packets, o.sources, t.sources_seen,
      g.count(Kind::kNetgear), g.count(Kind::kChrony), g.count(Kind::kNtpdig), g.count_v6(),
      t.netgear_packets, t.netgear_port_23457, t.chrony_packets, t.ntpdig_packets, t.v6_packets,
      t.first_ns, t.last_ns, w.written(), elapsed);
  return 0;
}

}  // namespace

}  // namespace iotcensus::bench

int main(int argc, char** argv) {
  iotcensus::bench::Options o;
  CLI::App app{"Write a synthetic, time-ordered pcap of NTP client requests (benchmark input)",
               "make_ntp_capture"};
  app.add_option("--out", o.out, "Output pcap file")->required();
  app.add_option("--sources", o.sources, "Distinct client sources")->capture_default_str();
  app.add_option("--packets", o.packets, "Packets to write")->capture_default_str();
  app.add_option("--seed", o.seed, "Random seed (same seed, same bytes)")->capture_default_str();
  app.add_option("--start", o.start, "Capture start, ISO 8601 UTC")->capture_default_str();
  app.add_option("--netgear-share", o.netgear_share,
                 "Share of sources that are flawed Netgear routers; the rest are chrony-like "
                 "and ntpdig-like clients")
      ->capture_default_str();
  app.add_option("--interval-s", o.interval_s,
                 "Mean per-source request interval of the Netgear sources, seconds")
      ->capture_default_str();
  app.add_option("--server", o.server, "Server IPv4 address")->capture_default_str();
  app.add_option("--server6", o.server6, "Server IPv6 address (for IPv6 sources)")
      ->capture_default_str();
  CLI11_PARSE(app, argc, argv);
  return iotcensus::bench::run(o);
}

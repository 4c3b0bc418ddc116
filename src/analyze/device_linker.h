// Links the sources of one class, seen day by day, into devices: an address continues its device;
// a new address takes over a device of the same prefix that stopped sending before it started
// when period and phase agree (DHCP re-addressing, IPv6 temporary addresses). Counts per day.
#pragma once

#include <cstdint>
#include <unordered_map>
#include <vector>

#include "analyze/activity_record.h"
#include "core/address.h"
#include "core/source_day.h"

namespace iotcensus::analyze {

struct LinkOptions {
  int32_t link_days = 90;  // a device may reappear at a new address this many observed days later
  // A request continues a device's period P from its last request L when it lies within
  // jitter_ns + drift * |t - L| of L + k P (clocks drift a little between days).
  int64_t jitter_ns = 1'000'000;
  double drift = 1e-7;
  // Two periods measured from whole days of requests are one clock within this (+ 1e-7 P).
  int64_t period_match_ns = 10'000;
  int64_t flood_below_ns = 15'000'000'000;  // shorter periods are the unanswered (flood) regime
  int v4_prefix = 24;                       // re-addressing stays inside this prefix (DHCP pools)
  int v6_prefix = 64;                       // (temporary addresses rotate inside the /64)
  // After linking: a device last seen on day L and one first seen in the same prefix within
  // this many observed days after L, each the other's only such match and with no period that
  // contradicts, are one device that moved unseen (0: off).
  int32_t unseen_move_days = 3;
  // After that: records of one prefix that follow each other within link_days and overlap on
  // at most a few move days, with no clock against it, are chained into one device (devices
  // seen too rarely for a clock, moving together inside a DHCP pool behind one address).
  bool prefix_chains = true;
};

// A day and the devices found (or stood for) behind a record's address that day.
struct DayDevices {
  int32_t day = 0;
  uint16_t devices = 0;
};

// Two records joined with no clock to confirm it (an unseen move, a prefix chain): the last day
// the earlier was seen before the later began, the later's first day, and the devices the later
// stood for. Were the join wrong, these would be a death and births.
struct InferredJoin {
  int32_t end_day = 0;
  int32_t start_day = 0;
  uint32_t devices = 1;
};

// One class on one day.
struct DayCounts {
  int64_t day_s = 0;
  uint64_t packets = 0;
  uint64_t sources = 0;  // distinct addresses (the naive count)
  uint64_t prefixes24 = 0, prefixes64 = 0, prefixes48 = 0;
  uint64_t nat_low = 0, nat = 0, nat_high = 0;  // devices behind the addresses, summed
  uint64_t linked = 0;  // distinct linked devices (each address group counted once)
  uint64_t best_low = 0, best = 0, best_high = 0;  // linked devices times the devices behind each
  uint64_t moved = 0;  // addresses that continued a device seen at another address
  uint64_t born = 0;   // devices first seen this day
  // Periods (s) of the day's senders, quartiles weighted by packets (0 when none is known).
  double period_q25_s = 0, period_median_s = 0, period_q75_s = 0;
};

// A linked device; 56 bytes of state plus its activity record (kept apart).
struct Track {
  int64_t last_ns[2] = {0, 0};    // last request in the answered [0] and flood [1] regimes
  int64_t period_ns[2] = {0, 0};  // period in each regime (0: not known yet)
  int32_t first_day = 0;          // day numbers (days since 1970-01-01)
  int32_t last_day = 0;
  uint16_t addresses = 0;      // addresses it held
  bool gap_period = false;     // the answered period is the gap between two days' requests
  bool shorter_seen = false;   // its last day showed a shorter period than its answered one
  uint32_t address = 0;        // index of the address it holds now
  uint32_t first_address = 0;  // index of the address it was first seen at
};

class DeviceLinker {
 public:
  // `observed_days`: day numbers with any recorded data, increasing; absences are counted in
  // observed days, so a vantage-point outage does not age a device.
  DeviceLinker(LinkOptions options, std::vector<int32_t> observed_days);

  // The rows of this class on one day (day numbers increasing across calls); reordered.
  void add_day(int32_t day, std::vector<core::SourceDay>& rows);

  const std::vector<DayCounts>& days() const { return days_; }
  const std::vector<Track>& tracks() const { return tracks_; }
  const std::vector<ActivityRecord>& track_activity() const { return track_activity_; }
  const std::vector<ActivityRecord>& address_activity() const { return address_activity_; }
  // gaps()[g]: times a device was seen again g observed days after it was last seen (g >= 1).
  const std::vector<uint64_t>& gaps() const { return gaps_; }
  // Observed-day ordinal of a day number (the number of observed days before it).
  int32_t ordinal(int32_t day) const;
  const std::vector<int32_t>& observed_days() const { return observed_; }
  uint64_t ambiguous_links() const { return ambiguous_; }
  // The address a track holds now.
  const core::Address& address_of(const Track& t) const { return addresses_[t.address]; }
  // Joins unseen moves (LinkOptions::unseen_move_days) and compacts the activity records; call
  // once, when done adding. Joined devices keep an empty record.
  void finish();
  uint64_t unseen_moves() const { return unseen_moves_; }
  // Records joined because an address's device turned out to continue an older record.
  uint64_t relinked() const { return relinked_; }
  // IPv6 addresses linked as the only device of the class in their /64.
  uint64_t sole_links() const { return sole_links_; }
  // Records chained inside a prefix (LinkOptions::prefix_chains).
  uint64_t chain_joins() const { return chain_joins_; }
  // The days a record showed more than one device, and how many (NAT groups only; empty for the
  // rest).
  const std::vector<DayDevices>& shared_days_of(uint32_t track) const;
  // The devices a record stands for: the most found on at least a fifth of its days (a stray
  // second sender on a few days is no second device, nor a split that found six on one day).
  uint32_t devices_behind(uint32_t track) const;
  const LinkOptions& options() const { return options_; }
  // Whether two records' clocks allow them to be one device (no period contradicts).
  bool clocks_allow(uint32_t a, uint32_t b) const;
  // Joins made with no clock to confirm them (for the bounds of births and deaths).
  const std::vector<InferredJoin>& inferred_joins() const { return inferred_; }
  // The address a track was first seen at.
  const core::Address& first_address_of(const Track& t) const {
    return addresses_[t.first_address];
  }

 private:
  struct AddressHash {
    size_t operator()(const core::Address& a) const {
      return static_cast<size_t>((a.hi * 0x9e3779b97f4a7c15ULL) ^ (a.lo * 0xc2b2ae3d27d4eb4fULL) ^
                                 (a.lo >> 29));
    }
  };
  static constexpr uint32_t kNone = UINT32_MAX;

  bool conflicts(const Track& t, const core::SourceDay& row, int32_t day) const;  // new device?
  bool gapped(const Track& t, const core::SourceDay& row) const;
  uint32_t find_moved(const core::SourceDay& row, int32_t day);
  void update(uint32_t id, const core::SourceDay& row, int32_t day, DayCounts& counts);
  int regime(int64_t period_ns) const { return period_ns < options_.flood_below_ns ? 1 : 0; }
  bool fits(int64_t t, int64_t ref, int64_t period, double* residual) const;
  core::Address prefix_of(const core::Address& a) const;

  LinkOptions options_;
  std::vector<int32_t> observed_;
  std::vector<DayCounts> days_;
  std::vector<Track> tracks_;
  std::vector<ActivityRecord> track_activity_;
  std::vector<ActivityRecord> address_activity_;
  std::vector<core::Address> addresses_;  // by address index
  std::unordered_map<core::Address, uint32_t, AddressHash> address_index_;
  std::unordered_map<core::Address, uint32_t, AddressHash> owner_;  // address -> track
  std::unordered_map<core::Address, std::vector<uint32_t>, AddressHash> by_prefix_;
  std::vector<uint64_t> gaps_;
  uint64_t ambiguous_ = 0;
  uint64_t unseen_moves_ = 0;
  uint64_t relinked_ = 0;
  uint64_t sole_links_ = 0;
  uint64_t chain_joins_ = 0;
  std::vector<InferredJoin> inferred_;
  void infer(uint32_t into, uint32_t from);  // records the join of `from` into `into`
  // Only for records that ever showed more than one device: 6 bytes (8 aligned) per such day.
  std::unordered_map<uint32_t, std::vector<DayDevices>> shared_;
  void absorb(uint32_t into, uint32_t from);  // joins record `from` into `into`
  void join_unseen_moves();
  void join_prefix_chains();
  double period_tolerance(int64_t p) const;  // 1 ms + 1e-5 of the period
  bool same_period(int64_t p, int64_t q) const;
  static int64_t period_of(const Track& t, int r, bool measured_only);
  bool periods_agree(const Track& a, const Track& b, bool measured_only = false) const;
  void learn_clock_ratios();
  bool same_clock(const Track& a, const Track& b) const;  // one clock across a cadence change
  std::vector<double> clock_ratios_;  // answered / flood period ratios of the class's clocks
};

}  // namespace iotcensus::analyze

// Device linking, lives and activity records on hand-made sightings whose truth is known.

#include "analyze/device_linker.h"

#include <gtest/gtest.h>

#include <algorithm>

#include "analyze/lives.h"
#include "analyze/lives_survival.h"

namespace iotcensus::analyze {
namespace {

constexpr int64_t kS = 1'000'000'000;
constexpr int32_t kDay0 = 12000;  // a day number (2002-11-09)

core::SourceDay sighting(const char* address, int32_t day, int64_t period_s, int64_t phase_s) {
  core::SourceDay r;
  r.day_s = int64_t{day} * 86400;
  r.source = *core::Address::parse(address);
  r.class_name = std::string(1, 'c');  // (not = "c": a false -Wrestrict of g++ 12 at -O3)
  const int64_t day_ns = r.day_s * kS;
  const int64_t period = period_s * kS;
  // Requests on anchor + k period in absolute time.
  int64_t first = day_ns + ((phase_s * kS - day_ns) % period + period) % period;
  r.first_ns = first;
  r.packets = static_cast<uint64_t>((day_ns + 86400 * kS - 1 - first) / period + 1);
  r.last_ns = first + static_cast<int64_t>(r.packets - 1) * period;
  r.interval_ns = period;
  r.anchor_ns = r.last_ns;
  return r;
}

std::vector<int32_t> days(int n) {
  std::vector<int32_t> d;
  for (int i = 0; i < n; ++i) d.push_back(kDay0 + i);
  return d;
}

TEST(DeviceLinker, ReaddressedDeviceIsLinkedByPeriodAndPhase) {
  DeviceLinker linker(LinkOptions{}, days(10));
  for (int d = 0; d < 10; ++d) {
    std::vector<core::SourceDay> rows;
    // Device 1 moves from .10 to .77 on day 5, keeping its clock (period 61 s, phase 7 s).
    rows.push_back(sighting(d < 5 ? "198.51.100.10" : "198.51.100.77", kDay0 + d, 61, 7));
    // Device 2 in the same /24, another clock, stays.
    rows.push_back(sighting("198.51.100.20", kDay0 + d, 67, 3));
    // Device 3 is born on day 5 in the same /24 with yet another clock.
    if (d >= 5) rows.push_back(sighting("198.51.100.30", kDay0 + d, 59, 11));
    linker.add_day(kDay0 + d, rows);
  }
  linker.finish();
  ASSERT_EQ(linker.tracks().size(), 3u);
  int moved = 0;
  for (size_t t = 0; t < 3; ++t) {
    if (linker.tracks()[t].addresses != 2) continue;
    ++moved;
    EXPECT_EQ(linker.track_activity()[t].days(), 10u);
    EXPECT_EQ(linker.address_of(linker.tracks()[t]).to_string(), "198.51.100.77");
  }
  EXPECT_EQ(moved, 1);
  EXPECT_EQ(linker.days()[5].sources, 3u);
  EXPECT_EQ(linker.days()[5].linked, 3u);
  EXPECT_EQ(linker.days()[5].born, 1u);
  EXPECT_EQ(linker.address_activity().size(), 4u);
}

TEST(DeviceLinker, DifferentClockIsNotLinked) {
  DeviceLinker linker(LinkOptions{}, days(4));
  for (int d = 0; d < 4; ++d) {
    std::vector<core::SourceDay> rows;
    // One device until day 1, another (other period) at a new address from day 2.
    rows.push_back(d < 2 ? sighting("198.51.100.10", kDay0 + d, 61, 7)
                         : sighting("198.51.100.77", kDay0 + d, 62, 7));
    linker.add_day(kDay0 + d, rows);
  }
  linker.finish();  // nor chained afterwards: two clocks that disagree
  EXPECT_EQ(linker.tracks().size(), 2u);
  EXPECT_EQ(linker.chain_joins(), 0u);
  EXPECT_EQ(linker.track_activity()[1].days(), 2u);
}

// One request on some days, no clock: a weekly poller behind a household NAT.
core::SourceDay single(const char* address, int32_t day, int64_t at_s, uint32_t devices = 1) {
  core::SourceDay r;
  r.day_s = int64_t{day} * 86400;
  r.source = *core::Address::parse(address);
  r.class_name = std::string(1, 'c');  // (not = "c": a false -Wrestrict of g++ 12 at -O3)
  r.first_ns = r.last_ns = r.anchor_ns = (r.day_s + at_s) * kS;
  r.packets = devices;
  r.devices_low = 1;
  r.devices = r.devices_high = devices;
  return r;
}

// The linker's records (tracks that kept an address): current address and days seen, sorted.
std::vector<std::pair<std::string, uint64_t>> records_of(const DeviceLinker& linker) {
  std::vector<std::pair<std::string, uint64_t>> records;
  for (size_t t = 0; t < linker.tracks().size(); ++t) {
    if (linker.tracks()[t].addresses == 0) continue;
    records.push_back(
        {linker.address_of(linker.tracks()[t]).to_string(), linker.track_activity()[t].days()});
  }
  std::sort(records.begin(), records.end());
  return records;
}

TEST(DeviceLinker, RarelySeenHouseholdMovingInItsPoolIsOneChain) {
  DeviceLinker linker(LinkOptions{}, days(120));
  // Household A: seen every 4th day, its address moving inside 198.51.100.0/24 every 25 days
  // (and back to an old one). Household B in the same /24, seen every 3rd day from day 1 and
  // moving on day 62: the two share a day every 12 days and alternate every few days, so they
  // are never one chain. Household C in another /24 is born on
  // day 60.
  const char* a_addresses[] = {"198.51.100.9", "198.51.100.153", "198.51.100.137", "198.51.100.9",
                               "198.51.100.25"};
  for (int d = 0; d < 120; ++d) {
    std::vector<core::SourceDay> rows;
    if (d % 4 == 0) rows.push_back(single(a_addresses[d / 25], kDay0 + d, 36000));
    if (d % 3 == 1)
      rows.push_back(single(d < 62 ? "198.51.100.200" : "198.51.100.201", kDay0 + d, 50000));
    if (d >= 60 && d % 5 == 0) rows.push_back(single("203.0.113.7", kDay0 + d, 40000));
    linker.add_day(kDay0 + d, rows);
  }
  linker.finish();
  const auto records = records_of(linker);
  ASSERT_EQ(records.size(), 3u);
  EXPECT_EQ(records[0], (std::pair<std::string, uint64_t>{"198.51.100.201", 40}));
  EXPECT_EQ(records[1], (std::pair<std::string, uint64_t>{"198.51.100.25", 30}));
  EXPECT_EQ(records[2], (std::pair<std::string, uint64_t>{"203.0.113.7", 12}));
  EXPECT_EQ(linker.chain_joins() + linker.unseen_moves(), 4u);  // A three times, B once
  // Off, the household is five records (the return to .9 continues its own).
  LinkOptions off;
  off.prefix_chains = false;
  DeviceLinker unchained(off, days(120));
  for (int d = 0; d < 120; ++d) {
    std::vector<core::SourceDay> rows;
    if (d % 4 == 0) rows.push_back(single(a_addresses[d / 25], kDay0 + d, 36000));
    unchained.add_day(kDay0 + d, rows);
  }
  unchained.finish();
  EXPECT_GT(unchained.tracks().size(), 2u);
}

TEST(DeviceLinker, DayOfMixedCadenceKeepsTheClockButTwoInARowChangeIt) {
  DeviceLinker linker(LinkOptions{}, days(9));
  for (int d = 0; d < 9; ++d) {
    std::vector<core::SourceDay> rows;
    // A: period 600 s; on day 3 its cadence changes for part of the day (the mean is 70 s);
    // on day 4 it moves inside its /24 with its 600 s clock.
    rows.push_back(
        sighting(d < 4 ? "198.51.100.10" : "198.51.100.77", kDay0 + d, d == 3 ? 70 : 600, 7));
    // B: period 600 s, then 300 s from day 3 on for good; it moves on day 6.
    rows.push_back(
        sighting(d < 6 ? "198.51.100.20" : "198.51.100.88", kDay0 + d, d < 3 ? 600 : 300, 11));
    linker.add_day(kDay0 + d, rows);
  }
  linker.finish();
  const auto records = records_of(linker);
  ASSERT_EQ(records.size(), 2u);
  EXPECT_EQ(records[0], (std::pair<std::string, uint64_t>{"198.51.100.77", 9}));
  EXPECT_EQ(records[1], (std::pair<std::string, uint64_t>{"198.51.100.88", 9}));
}

TEST(DeviceLinker, GapBetweenDaysIsNoClockForAChain) {
  // A laptop sending one request a day at a different hour each day: the gaps between days give
  // it a "period" that is nothing. It moves inside its /24 after ten silent days; the two records
  // are one chain (their gap periods differ, and must not keep them apart).
  DeviceLinker linker(LinkOptions{}, days(30));
  for (int d = 0; d < 30; ++d) {
    std::vector<core::SourceDay> rows;
    if (d < 10) rows.push_back(single("198.51.100.9", kDay0 + d, 20000 + 1234 * d));
    if (d >= 20) rows.push_back(single("198.51.100.153", kDay0 + d, 40000 - 777 * (d - 20)));
    linker.add_day(kDay0 + d, rows);
  }
  linker.finish();
  EXPECT_EQ(linker.chain_joins(), 1u);
  EXPECT_EQ(linker.tracks()[0].addresses, 2u);
  EXPECT_EQ(linker.track_activity()[0].days(), 20u);
}

TEST(DeviceLinker, TemporaryIPv6AddressTakesTheOnlyDeviceOfItsSlash64) {
  // A host with a new temporary address every day and one or two requests a day (no clock): the
  // only device of the class in 2001:db8:1:2::/64. A second /64 holds two such hosts: there a new
  // address cannot be told apart and starts a record of its own.
  DeviceLinker linker(LinkOptions{}, days(10));
  for (int d = 0; d < 10; ++d) {
    std::vector<core::SourceDay> rows;
    const std::string alone = "2001:db8:1:2:" + std::to_string(100 + d) + "::1";
    rows.push_back(single(alone.c_str(), kDay0 + d, 30000 + 1234 * d * d));  // no daily phase
    for (int h = 0; h < 2; ++h) {
      const std::string shared =
          "2001:db8:9:9:" + std::to_string(200 + d) + "::" + std::to_string(h + 1);
      rows.push_back(single(shared.c_str(), kDay0 + d, 40000 + 1000 * h));
    }
    linker.add_day(kDay0 + d, rows);
  }
  linker.finish();
  EXPECT_EQ(linker.sole_links(), 9u);
  uint64_t alone_records = 0, alone_days = 0, shared_records = 0;
  for (size_t t = 0; t < linker.tracks().size(); ++t) {
    if (linker.tracks()[t].addresses == 0) continue;
    const std::string a = linker.address_of(linker.tracks()[t]).to_string();
    if (a.rfind("2001:db8:1:2:", 0) == 0) {
      ++alone_records;
      alone_days = linker.track_activity()[t].days();
      EXPECT_EQ(linker.tracks()[t].addresses, 10u);
    } else {
      ++shared_records;
    }
  }
  EXPECT_EQ(alone_records, 1u);
  EXPECT_EQ(alone_days, 10u);
  // Two hosts seen on the same days in turn are never chained into one: at least two records.
  EXPECT_GE(shared_records, 2u);
}

TEST(Lives, NatGroupMembersComeAndGo) {
  // One address, 60 observed days: one camera from day 0, a second from day 10 (a stray third
  // sender on day 15 only), the second gone after day 29; W = 5.
  DeviceLinker linker(LinkOptions{}, days(60));
  for (int d = 0; d < 60; ++d) {
    uint32_t n = d >= 10 && d <= 29 ? 2 : 1;
    if (d == 15) n = 3;
    std::vector<core::SourceDay> rows{single("192.0.2.50", kDay0 + d, 3600, n)};
    linker.add_day(kDay0 + d, rows);
  }
  linker.finish();
  const auto lives = split_lives(linker, 5);
  ASSERT_EQ(lives.size(), 1u);
  EXPECT_TRUE(lives[0].left_truncated);
  const auto changes = life_devices(linker, lives[0], 5).changes;
  // Left-truncated: the first camera is no birth; the second is born on day 10 and dies on
  // day 29, the last day two were found. The stray third is nothing.
  ASSERT_EQ(changes.size(), 2u);
  EXPECT_EQ(changes[0].day, kDay0 + 10);
  EXPECT_EQ(changes[0].delta, 1);
  EXPECT_EQ(changes[1].day, kDay0 + 29);
  EXPECT_EQ(changes[1].delta, -1);
}

TEST(Lives, GroupMemberQuietForAWhileIsNoDeath) {
  // Two devices behind one address; the second is seen only on days 0-3 and 20-23 (quiet for
  // longer than W = 5 while the group is seen every day); the group dies after day 40.
  DeviceLinker linker(LinkOptions{}, days(60));
  for (int d = 0; d <= 40; ++d) {
    const uint32_t n = (d <= 3 || (d >= 20 && d <= 23)) ? 2 : 1;
    std::vector<core::SourceDay> rows{single("192.0.2.60", kDay0 + 10 + d, 3600, n)};
    linker.add_day(kDay0 + 10 + d, rows);
  }
  linker.finish();
  const auto lives = split_lives(linker, 5);
  ASSERT_EQ(lives.size(), 1u);
  ASSERT_EQ(lives[0].state, LifeState::kDead);
  int births = 0, deaths = 0;
  int32_t last_death = 0;
  for (const auto& c : life_devices(linker, lives[0], 5).changes) {
    if (c.delta > 0) births += c.delta;
    if (c.delta < 0) {
      deaths -= c.delta;
      last_death = c.day;
    }
  }
  EXPECT_EQ(births, 2);
  EXPECT_EQ(deaths, 2);
  EXPECT_EQ(last_death, kDay0 + 50);
}

TEST(Lives, DeathCensoringOutageAndTruncation) {
  // Observed days 0..29 except 20..22 (an outage).
  std::vector<int32_t> observed;
  for (int i = 0; i < 30; ++i) {
    if (i < 20 || i > 22) observed.push_back(kDay0 + i);
  }
  DeviceLinker linker(LinkOptions{}, observed);
  for (int32_t day : observed) {
    const int i = day - kDay0;
    std::vector<core::SourceDay> rows;
    if (i <= 8) rows.push_back(sighting("192.0.2.1", day, 60, 1));  // present at start, dies
    if (i >= 10 && i <= 18) rows.push_back(sighting("192.0.2.2", day, 70, 1));  // lost: outage
    if (i >= 5) rows.push_back(sighting("203.0.113.3", day, 80, 1));            // born day 5, alive
    if (!rows.empty()) linker.add_day(day, rows);
  }
  auto lives = split_lives(linker, 3);
  ASSERT_EQ(lives.size(), 3u);
  std::sort(lives.begin(), lives.end(),
            [](const Life& a, const Life& b) { return a.first_day < b.first_day; });
  // Tracks are numbered as they appear: .1 on day 0, 203.0.113.3 on day 5, .2 on day 10.
  EXPECT_TRUE(lives[0].left_truncated);
  EXPECT_EQ(lives[0].state, LifeState::kDead);
  EXPECT_EQ(lives[0].last_day, kDay0 + 8);
  EXPECT_FALSE(lives[1].left_truncated);
  EXPECT_EQ(lives[1].state, LifeState::kAlive);
  EXPECT_EQ(lives[1].days_active, 22u);
  EXPECT_EQ(lives[2].state, LifeState::kLost);
}

TEST(Lives, AbsenceDaysFollowTheData) {
  // Returns fall tenfold per day of absence down to a floor of chance links.
  std::vector<uint64_t> gaps{0, 1000000, 100000, 10000, 1000, 100, 10, 1, 1, 1};
  const AbsenceChoice c = choose_absence_days(gaps, 10000, 0.001);
  EXPECT_EQ(c.days, 5);  // returns after 6 days: 10 <= 0.001 * 10000
  EXPECT_EQ(c.longer, 13u);
}

TEST(LivesSurvival, TimesEventsCensoringAndTruncation) {
  std::vector<Life> lives(4);
  lives[0].first_day = 100, lives[0].last_day = 100, lives[0].state = LifeState::kDead;
  lives[1].first_day = 100, lives[1].last_day = 459, lives[1].state = LifeState::kAlive;
  lives[2].first_day = 10, lives[2].last_day = 20, lives[2].state = LifeState::kLost;
  lives[3].first_day = 0, lives[3].last_day = 50, lives[3].left_truncated = true;
  const LivesSurvival s = survival_of_lives(lives);
  ASSERT_EQ(s.data.size(), 3u);  // the left-truncated life is left out and counted
  EXPECT_EQ(s.left_truncated, 1u);
  EXPECT_EQ(s.lives, 4u);
  EXPECT_EQ(s.data.time[0], 1.0);  // seen on one day: lasts one day
  EXPECT_EQ(s.data.event[0], 1);
  EXPECT_EQ(s.data.time[1], 360.0);
  EXPECT_EQ(s.data.event[1], 0);
  EXPECT_EQ(s.data.time[2], 11.0);
  EXPECT_EQ(s.data.event[2], 0);
  EXPECT_EQ(s.dead, 1u);
  EXPECT_EQ(s.alive, 1u);
  EXPECT_EQ(s.lost, 1u);
}

TEST(ActivityRecord, RoundTripAndSize) {
  ActivityRecord r;
  // 13 years of a device on-line 9 days out of 10.
  for (int d = 0; d < 4749; ++d) {
    if (d % 10 != 3) r.add(kDay0 + d);
  }
  r.compact();
  EXPECT_EQ(r.days(), 4749u - 475u);
  EXPECT_EQ(r.days_between(kDay0, kDay0 + 9), 9u);
  const ActivityRecord back = ActivityRecord::deserialize(r.serialize());
  EXPECT_EQ(back.days(), r.days());
  EXPECT_EQ(back.first(), kDay0);
  EXPECT_LT(r.serialize().size(), 2500u);  // run-compressed: 4 bytes per run
  int runs = 0;
  r.for_each_run([&](int32_t, int32_t) { ++runs; });
  EXPECT_EQ(runs, 476);
}

}  // namespace
}  // namespace iotcensus::analyze

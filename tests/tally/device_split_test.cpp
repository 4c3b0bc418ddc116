// Device split against known senders: strictly periodic requests of k devices behind one
// address, on one port each, on a new port per request, or a mix, must give back k.

#include "tally/device_split.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <random>
#include <tuple>

namespace iotcensus::tally {
namespace {

constexpr int64_t kS = 1'000'000'000;

// Requests of one device from `start` every `period` while before `end`, one train per request.
void singles(std::vector<Train>& out, int64_t start, int64_t period, int64_t end) {
  for (int64_t t = start; t < end; t += period) out.push_back({t, t, 1});
}

// The tally hands trains over in its counting order, not the capture's: the split must be the
// same for every order, also when trains start at the same instant.
TEST(DeviceSplit, SameSplitInEveryOrder) {
  // Two trains start together, of 15 requests every 64 s and every 68 s (found by a random
  // search: sorted by start time alone, the period found depended on the order given).
  std::vector<Train> trains{{70 * kS, 70 * kS + 14 * 64 * kS, 15},
                            {40 * kS, 40 * kS + 7 * 60 * kS, 8},
                            {70 * kS, 70 * kS + 14 * 68 * kS, 15},
                            {70 * kS, 70 * kS, 1},
                            {130 * kS, 130 * kS, 1}};
  std::sort(trains.begin(), trains.end(), [](const Train& a, const Train& b) {
    return std::tie(a.first_ns, a.last_ns, a.packets) < std::tie(b.first_ns, b.last_ns, b.packets);
  });
  std::vector<Train> first = trains;
  const DeviceSplit expected = split_devices(first);
  int orders = 0;
  do {
    std::vector<Train> t = trains;
    const DeviceSplit s = split_devices(t);
    EXPECT_EQ(s.low, expected.low);
    EXPECT_EQ(s.devices, expected.devices);
    EXPECT_EQ(s.high, expected.high);
    EXPECT_EQ(s.interval_ns, expected.interval_ns);
    EXPECT_EQ(s.anchor_ns, expected.anchor_ns);
    ++orders;
  } while (std::next_permutation(trains.begin(), trains.end(), [](const Train& a, const Train& b) {
    return std::tie(a.first_ns, a.last_ns, a.packets) < std::tie(b.first_ns, b.last_ns, b.packets);
  }));
  EXPECT_EQ(orders, 120);
  EXPECT_GE(expected.devices, 2u);
}

TEST(DeviceSplit, OneTrainIsOneDevice) {
  std::vector<Train> t{{10 * kS, 10 * kS + 99 * 60 * kS, 100}};
  const DeviceSplit s = split_devices(t);
  EXPECT_EQ(s.devices, 1u);
  EXPECT_EQ(s.low, 1u);
  EXPECT_EQ(s.high, 1u);
  EXPECT_EQ(s.interval_ns, 60 * kS);
}

TEST(DeviceSplit, OnePortPerRequestIsOneDevice) {
  std::vector<Train> t;
  singles(t, 1'616'100'000, 64'131'386'000, 86400 * kS);
  const DeviceSplit s = split_devices(t);
  EXPECT_EQ(s.devices, 1u) << t.size() << " requests";
  EXPECT_EQ(s.interval_ns, 64'131'386'000);
}

TEST(DeviceSplit, InterleavedSendersAreSeparated) {
  std::mt19937_64 rng(7);
  for (int k = 1; k <= 4; ++k) {
    std::vector<Train> t;
    for (int d = 0; d < k; ++d) {
      const auto period =
          static_cast<int64_t>((900 + 200 * d) * kS * (1 + 0.01 * (rng() % 100) / 100.0));
      singles(t, static_cast<int64_t>(rng() % static_cast<uint64_t>(period)), period, 86400 * kS);
    }
    std::shuffle(t.begin(), t.end(), rng);
    const DeviceSplit s = split_devices(t);
    EXPECT_EQ(s.devices, static_cast<uint32_t>(k));
    EXPECT_LE(s.low, s.devices);
    EXPECT_GE(s.high, s.devices);
  }
}

TEST(DeviceSplit, PortChangeOfOneDeviceIsJoined) {
  // A NAT gives the device a new port after a pause longer than its timeout: two trains on one
  // phase, no overlap in time.
  std::vector<Train> t{{0, 59 * 60 * kS, 60}, {80 * 60 * kS, 120 * 60 * kS, 41}};
  EXPECT_EQ(split_devices(t).devices, 1u);
}

TEST(DeviceSplit, OverlappingTrainsAreTwoDevices) {
  std::vector<Train> t{{0, 99 * 60 * kS, 100}, {30 * kS, 30 * kS + 99 * 61 * kS, 100}};
  const DeviceSplit s = split_devices(t);
  EXPECT_EQ(s.devices, 2u);
  EXPECT_EQ(s.low, 2u);
}

TEST(DeviceSplit, LoneRequestsOffPhaseAreDevicesEach) {
  // Weekly pollers behind one address: one request each, at unrelated times.
  std::vector<Train> t{
      {3600 * kS, 3600 * kS, 1}, {5000 * kS, 5000 * kS, 1}, {7777 * kS, 7777 * kS, 1}};
  const DeviceSplit s = split_devices(t);
  EXPECT_EQ(s.devices, 3u);
  EXPECT_EQ(s.low, 1u);  // they never overlap: one device could have sent all three
}

}  // namespace
}  // namespace iotcensus::tally

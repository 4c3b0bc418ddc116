// Tests PacketConditions::matches on port conditions, alone (the short path evidence takes) and
// with other conditions, against the conditions evaluated one by one here.
#include <gtest/gtest.h>

#include <algorithm>
#include <random>
#include <vector>

#include "classify/rule.h"

namespace iotcensus::classify {
namespace {

bool in(const std::vector<uint16_t>& set, uint16_t v) {
  return set.empty() || std::find(set.begin(), set.end(), v) != set.end();
}

TEST(PacketConditions, PortConditionsAloneAndWithOthers) {
  const std::vector<std::vector<uint16_t>> sets = {{}, {23457}, {123}, {123, 23457, 40000}};
  std::mt19937_64 rng(11);
  for (const auto& src : sets) {
    for (const auto& dst : sets) {
      for (int extra = 0; extra < 3; ++extra) {
        PacketConditions c;
        c.src_port = src;
        c.dst_port = dst;
        if (extra == 1) c.mode = std::bitset<8>(1u << 3);
        if (extra == 2) c.stratum = std::bitset<256>(1);
        c.compile();
        for (int i = 0; i < 2000; ++i) {
          core::Observation obs;
          const uint16_t ports[] = {123, 23457, 40000, 124};
          obs.src_port = ports[rng() % 4];
          obs.dst_port = ports[rng() % 4];
          obs.ntp.mode = static_cast<uint8_t>(rng() % 8);
          obs.ntp.stratum = static_cast<uint8_t>(rng() % 2);
          bool expected = in(src, obs.src_port) && in(dst, obs.dst_port);
          if (extra == 1) expected = expected && obs.ntp.mode == 3;
          if (extra == 2) expected = expected && obs.ntp.stratum == 0;
          ASSERT_EQ(c.matches(obs), expected) << src.size() << " " << dst.size() << " " << extra
                                              << " " << obs.src_port << " " << obs.dst_port;
        }
      }
    }
  }
}

}  // namespace
}  // namespace iotcensus::classify

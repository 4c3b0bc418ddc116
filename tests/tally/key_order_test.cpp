// Tests KeyOrder against std::stable_sort: packed (index and key in one word) and apart, keys
// of few and many bits with many ties, indexes with gaps, and where packing does not fit.
#include "tally/key_order.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <bit>
#include <cstdint>
#include <random>
#include <utility>
#include <vector>

namespace iotcensus::tally {
namespace {

using Item = std::pair<uint32_t, uint64_t>;  // index, key

std::vector<Item> sorted_by_key(std::vector<Item> items) {
  std::stable_sort(items.begin(), items.end(),
                   [](const Item& a, const Item& b) { return a.second < b.second; });
  return items;
}

std::vector<Item> order_of(const KeyOrder& order) {
  std::vector<Item> out;
  for (size_t k = 0; k < order.size(); ++k) out.emplace_back(order.index(k), order.key(k));
  return out;
}

TEST(KeyOrder, SortsLikeStableSortPackedOrNot) {
  std::mt19937_64 rng(11);
  for (const int key_bits : {1, 3, 20, 40, 64}) {
    for (const size_t n : {size_t{0}, size_t{1}, size_t{5}, size_t{3000}, size_t{70000}}) {
      std::vector<Item> items;
      uint32_t index = 0;
      const uint64_t mask = key_bits == 64 ? ~uint64_t{0} : (uint64_t{1} << key_bits) - 1;
      for (size_t i = 0; i < n; ++i) {
        index += 1 + static_cast<uint32_t>(rng() % 3);  // gaps
        // Few distinct keys half of the time: many ties, whose index order must be kept.
        const uint64_t key = (i % 2 == 0 ? rng() % 7 : rng()) & mask;
        items.emplace_back(index, key);
      }
      const std::vector<Item> expected = sorted_by_key(items);
      for (const bool may_pack : {true, false}) {
        KeyOrder order(n, uint64_t{index} + 1, key_bits, may_pack);
        for (const auto& [i, key] : items) order.push(i, key);
        order.sort();
        const int index_bits = static_cast<int>(std::bit_width(uint64_t{index} + 1));
        EXPECT_EQ(order.packed(), may_pack && key_bits + index_bits <= 64) << key_bits << " " << n;
        EXPECT_EQ(order_of(order), expected) << key_bits << " " << n << " " << may_pack;
      }
    }
  }
}

}  // namespace
}  // namespace iotcensus::tally

// Tests the tally's radix sort against std::stable_sort: keys with few and many distinct bytes,
// duplicates (whose order must be kept), and bytes that every key shares (skipped passes).
#include "tally/radix_sort.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <random>
#include <vector>

namespace iotcensus::tally {
namespace {

struct Row {
  uint64_t key;
  uint32_t order;  // position before sorting
  friend bool operator==(const Row&, const Row&) = default;
};

void expect_like_stable_sort(std::vector<Row> rows) {
  std::vector<Row> expected = rows;
  std::stable_sort(expected.begin(), expected.end(),
                   [](const Row& a, const Row& b) { return a.key < b.key; });
  radix_sort(rows, [](const Row& r) { return r.key; });
  EXPECT_EQ(rows, expected);
}

TEST(RadixSort, SameOrderAsStableSort) {
  std::mt19937_64 rng(5);
  for (const uint64_t mask : {0xffULL, 0xff00ff00ULL, 0xffffffffffffffffULL, 0x8000000000000001ULL,
                              0x0000ffff00000000ULL}) {
    for (const size_t n : {size_t{0}, size_t{1}, size_t{2}, size_t{1000}, size_t{100000}}) {
      std::vector<Row> rows(n);
      for (size_t i = 0; i < n; ++i) {
        // Few distinct keys under narrow masks: many ties.
        rows[i] = Row{(rng() & mask) | 0x1200000000000000ULL, static_cast<uint32_t>(i)};
      }
      expect_like_stable_sort(rows);
    }
  }
}

TEST(RadixSort, PlainKeys) {
  std::vector<uint64_t> keys = {5, 3, UINT64_MAX, 0, 3, 1ULL << 40, 7};
  std::vector<uint64_t> expected = keys;
  std::sort(expected.begin(), expected.end());
  radix_sort(keys, [](uint64_t k) { return k; });
  EXPECT_EQ(keys, expected);
}

}  // namespace
}  // namespace iotcensus::tally

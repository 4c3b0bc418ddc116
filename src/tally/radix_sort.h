// A stable least-significant-digit radix sort of rows by a 64-bit key, a byte a pass; bytes
// equal in every key are skipped. For the tally's millions of rows, where std::sort dominates.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <vector>

namespace iotcensus::tally {

// Sorts `rows` by key_of(row) ascending; rows of equal keys keep their order.
template <class Row, class KeyOf>
void radix_sort(std::vector<Row>& rows, KeyOf key_of) {
  constexpr int kDigits = 8;
  const size_t n = rows.size();
  if (n < 2) return;
  std::vector<std::array<size_t, 256>> counts(kDigits);
  for (auto& c : counts) c.fill(0);
  for (const Row& r : rows) {
    const uint64_t k = key_of(r);
    for (int d = 0; d < kDigits; ++d) ++counts[d][(k >> (8 * d)) & 0xff];
  }
  std::vector<Row> scratch(n);
  std::vector<Row>* from = &rows;
  std::vector<Row>* to = &scratch;
  for (int d = 0; d < kDigits; ++d) {
    const std::array<size_t, 256>& c = counts[d];
    const uint64_t first_digit = (key_of(rows[0]) >> (8 * d)) & 0xff;
    if (c[first_digit] == n) continue;  // every key has this byte
    std::array<size_t, 256> next{};
    size_t sum = 0;
    for (size_t b = 0; b < 256; ++b) {
      next[b] = sum;
      sum += c[b];
    }
    for (const Row& r : *from) (*to)[next[(key_of(r) >> (8 * d)) & 0xff]++] = r;
    std::swap(from, to);
  }
  if (from != &rows) rows.swap(*from);
}

}  // namespace iotcensus::tally

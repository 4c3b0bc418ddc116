// Indexes sorted by a key, stably: the order in which the tally's finish() visits its sources
// and bin rows. Index and key share one 64-bit word where they fit, halving what a sort moves.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace iotcensus::tally {

class KeyOrder {
 public:
  // Room for `size` items, with indexes below `index_limit` and keys below 2^key_bits (at most
  // 64). `may_pack` false keeps index and key apart even where they would fit (for tests).
  KeyOrder(size_t size, uint64_t index_limit, int key_bits, bool may_pack = true);

  // Adds an item; indexes must increase from one push to the next.
  void push(uint32_t index, uint64_t key);
  // Sorts the items by key, those of equal keys in index order; once, after the last push().
  void sort();

  size_t size() const { return packed_ ? words_.size() : pairs_.size(); }
  bool packed() const { return packed_; }
  uint32_t index(size_t k) const {
    return packed_ ? static_cast<uint32_t>(words_[k] & index_mask_) : pairs_[k].index;
  }
  uint64_t key(size_t k) const { return packed_ ? words_[k] >> index_bits_ : pairs_[k].key; }

 private:
  struct Pair {
    uint64_t key;
    uint32_t index;
  };
  int index_bits_;
  uint64_t index_mask_;
  bool packed_;
  std::vector<uint64_t> words_;  // key << index_bits_ | index
  std::vector<Pair> pairs_;
};

}  // namespace iotcensus::tally

#include "tally/key_order.h"

#include <bit>

#include "tally/radix_sort.h"

namespace iotcensus::tally {

KeyOrder::KeyOrder(size_t size, uint64_t index_limit, int key_bits, bool may_pack)
    : index_bits_(std::bit_width(index_limit)),
      index_mask_(index_bits_ >= 64 ? ~uint64_t{0} : (uint64_t{1} << index_bits_) - 1),
      packed_(may_pack && index_bits_ < 64 && key_bits + index_bits_ <= 64) {
  if (packed_) {
    words_.reserve(size);
  } else {
    pairs_.reserve(size);
  }
}

void KeyOrder::push(uint32_t index, uint64_t key) {
  if (packed_) {
    words_.push_back(key << index_bits_ | index);
  } else {
    pairs_.push_back(Pair{key, index});
  }
}

void KeyOrder::sort() {
  if (packed_) {
    // Pushed in index order: sorting stably by the key alone keeps it among equal keys.
    const int shift = index_bits_;
    radix_sort(words_, [shift](uint64_t w) { return w >> shift; });
  } else {
    radix_sort(pairs_, [](const Pair& p) { return p.key; });
  }
}

}  // namespace iotcensus::tally

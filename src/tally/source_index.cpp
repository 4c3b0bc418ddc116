#include "tally/source_index.h"

namespace iotcensus::tally {

SourceIndex::SourceIndex(size_t initial_capacity) {
  bits_ = 4;
  while ((size_t{1} << bits_) < initial_capacity && bits_ < 32) ++bits_;
  slots_.assign(size_t{1} << bits_, Slot{});
  mask_ = slots_.size() - 1;
}

void SourceIndex::insert(uint64_t hash, uint32_t entry) {
  if ((size_ + 1) * 4 > slots_.size() * 3) grow();
  const uint32_t tag = tag_of(hash);
  size_t i = home(tag);
  while (slots_[i].entry != 0) i = (i + 1) & mask_;
  slots_[i] = Slot{tag, entry + 1};
  ++size_;
}

void SourceIndex::grow() {
  std::vector<Slot> old;
  old.swap(slots_);
  ++bits_;
  slots_.assign(size_t{1} << bits_, Slot{});
  mask_ = slots_.size() - 1;
  for (const Slot& s : old) {
    if (s.entry == 0) continue;
    size_t i = home(s.tag);
    while (slots_[i].entry != 0) i = (i + 1) & mask_;
    slots_[i] = s;
  }
}

}  // namespace iotcensus::tally

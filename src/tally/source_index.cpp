#include "tally/source_index.h"

#include <sys/mman.h>

#include <cstring>
#include <new>

namespace iotcensus::tally {

SourceIndex::SourceIndex(size_t initial_capacity) {
  bits_ = 4;
  while ((size_t{1} << bits_) < initial_capacity && bits_ < 32) ++bits_;
  capacity_ = size_t{1} << bits_;
  slots_ = allocate(capacity_);
  mask_ = capacity_ - 1;
}

SourceIndex::Slots SourceIndex::allocate(size_t count) {
  constexpr size_t kHugePage = size_t{2} << 20;
  const size_t bytes = count * sizeof(Slot);
  const bool huge = bytes >= kHugePage;
  const size_t align = huge ? kHugePage : 64;
  const size_t rounded = (bytes + align - 1) / align * align;
  void* p = std::aligned_alloc(align, rounded);
  if (p == nullptr) throw std::bad_alloc();
  if (huge) madvise(p, rounded, MADV_HUGEPAGE);  // advice only: without it, 4 KB pages
  std::memset(p, 0, rounded);
  return Slots(static_cast<Slot*>(p));
}

void SourceIndex::insert(uint64_t hash, uint32_t entry) {
  if ((size_ + 1) * 4 > capacity_ * 3) grow();
  const uint32_t tag = tag_of(hash);
  size_t i = home(tag);
  while (slots_[i].entry != 0) i = (i + 1) & mask_;
  slots_[i] = Slot{tag, entry + 1};
  ++size_;
}

void SourceIndex::grow() {
  const Slots old = std::move(slots_);
  const size_t old_capacity = capacity_;
  ++bits_;
  capacity_ = size_t{1} << bits_;
  slots_ = allocate(capacity_);
  mask_ = capacity_ - 1;
  for (size_t k = 0; k < old_capacity; ++k) {
    const Slot& s = old[k];
    if (s.entry == 0) continue;
    size_t i = home(s.tag);
    while (slots_[i].entry != 0) i = (i + 1) & mask_;
    slots_[i] = s;
  }
}

}  // namespace iotcensus::tally

// The index of a tally's sources: an open-addressing table of 8-byte slots (the top 32 bits of
// a key's hash and its entry number), small enough to stay mostly in cache; the keys live in
// the entries, so a tag match is only a candidate until the caller has compared keys.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <memory>

namespace iotcensus::tally {

class SourceIndex {
 public:
  static constexpr uint32_t kNone = UINT32_MAX;

  explicit SourceIndex(size_t initial_capacity = 4096);

  // Starts loading the slot where a key of this hash would be found.
  void prefetch(uint64_t hash) const { __builtin_prefetch(&slots_[home(tag_of(hash))]); }
  // The first entry whose tag equals the hash's, or kNone: a candidate, not yet compared.
  uint32_t candidate(uint64_t hash) const {
    const uint32_t tag = tag_of(hash);
    for (size_t i = home(tag);; i = (i + 1) & mask_) {
      const Slot& s = slots_[i];
      if (s.entry == 0) return kNone;
      if (s.tag == tag) return s.entry - 1;
    }
  }
  // The entry of this hash for which is_key(entry) holds, or kNone.
  template <class IsKey>
  uint32_t find(uint64_t hash, IsKey&& is_key) const {
    const uint32_t tag = tag_of(hash);
    for (size_t i = home(tag);; i = (i + 1) & mask_) {
      const Slot& s = slots_[i];
      if (s.entry == 0) return kNone;
      if (s.tag == tag && is_key(s.entry - 1)) return s.entry - 1;
    }
  }
  // Adds an entry whose key is not in the index yet; entry < kNone.
  void insert(uint64_t hash, uint32_t entry);

  size_t size() const { return size_; }

 private:
  struct Slot {
    uint32_t tag = 0;
    uint32_t entry = 0;  // entry number + 1; 0: empty
  };
  static uint32_t tag_of(uint64_t hash) { return static_cast<uint32_t>(hash >> 32); }
  // The home slot is the tag's top bits, so that growing needs no key.
  size_t home(uint32_t tag) const { return tag >> (32 - bits_); }
  struct Free {
    void operator()(Slot* p) const { std::free(p); }
  };
  using Slots = std::unique_ptr<Slot[], Free>;
  // Zeroed slots; from 2 MB on, 2 MB aligned and advised onto huge pages, since every lookup
  // lands on a random page (one TLB miss per packet otherwise).
  static Slots allocate(size_t count);
  void grow();

  Slots slots_;
  size_t capacity_ = 0;
  size_t mask_ = 0;
  int bits_ = 0;
  size_t size_ = 0;
};

}  // namespace iotcensus::tally

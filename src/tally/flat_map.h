// An open-addressing hash map (linear probing, power-of-two capacity, no erase) for the hot
// path: keys and values inline in one array, one probe per lookup in the common case.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace iotcensus::tally {

inline uint64_t mix64(uint64_t x) {  // the MurmurHash3 finalizer
  x ^= x >> 33;
  x *= 0xff51afd7ed558ccdULL;
  x ^= x >> 33;
  x *= 0xc4ceb9fe1a85ec53ULL;
  x ^= x >> 33;
  return x;
}

// Hash must be a functor uint64_t(const Key&); Key needs operator==.
template <class Key, class Value, class Hash>
class FlatMap {
 public:
  explicit FlatMap(size_t initial_capacity = 1024) { rehash(round_up(initial_capacity)); }

  // Returns the value for `key`, inserting a default one first if absent.
  Value& operator[](const Key& key) {
    if ((size_ + 1) * 4 > slots_.size() * 3) rehash(slots_.size() * 2);
    size_t i = Hash{}(key)&mask_;
    while (true) {
      Slot& s = slots_[i];
      if (!s.used) {
        s.used = true;
        s.key = key;
        s.value = Value{};
        ++size_;
        return s.value;
      }
      if (s.key == key) return s.value;
      i = (i + 1) & mask_;
    }
  }

  const Value* find(const Key& key) const {
    size_t i = Hash{}(key)&mask_;
    while (true) {
      const Slot& s = slots_[i];
      if (!s.used) return nullptr;
      if (s.key == key) return &s.value;
      i = (i + 1) & mask_;
    }
  }

  // Starts loading the slot where `key` would be found, so that a later lookup does not wait.
  void prefetch(const Key& key) const { __builtin_prefetch(&slots_[Hash{}(key)&mask_]); }

  size_t size() const { return size_; }

  template <class F>
  void for_each(F&& f) const {
    for (const Slot& s : slots_) {
      if (s.used) f(s.key, s.value);
    }
  }

 private:
  struct Slot {
    Key key{};
    Value value{};
    bool used = false;
  };
  static size_t round_up(size_t n) {
    size_t c = 16;
    while (c < n) c *= 2;
    return c;
  }
  void rehash(size_t capacity) {
    std::vector<Slot> old;
    old.swap(slots_);
    slots_.assign(capacity, Slot{});
    mask_ = capacity - 1;
    size_ = 0;
    for (Slot& s : old) {
      if (s.used) (*this)[s.key] = s.value;
    }
  }
  std::vector<Slot> slots_;
  size_t mask_ = 0;
  size_t size_ = 0;
};

}  // namespace iotcensus::tally

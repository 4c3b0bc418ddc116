// Numbers distinct keys 0, 1, 2, ... in order of first sight (rule masks, bins, (bin, class)
// groups), with the last key remembered, since runs of one key are the common case.
#pragma once

#include <cstdint>
#include <vector>

#include "tally/flat_map.h"

namespace iotcensus::tally {

template <class Key, class Hash>
class DenseIds {
 public:
  // The key's number, made if new.
  uint32_t id(const Key& key) {
    if (!keys_.empty() && key == last_key_) return last_id_;
    uint32_t& slot = ids_[key];  // id + 1; 0: new
    if (slot == 0) {
      keys_.push_back(key);
      slot = static_cast<uint32_t>(keys_.size());
    }
    last_key_ = key;
    last_id_ = slot - 1;
    return last_id_;
  }
  // The key numbered `id`.
  const Key& key(uint32_t id) const { return keys_[id]; }
  const std::vector<Key>& keys() const { return keys_; }

 private:
  FlatMap<Key, uint32_t, Hash> ids_;
  std::vector<Key> keys_;
  Key last_key_{};
  uint32_t last_id_ = 0;
};

}  // namespace iotcensus::tally

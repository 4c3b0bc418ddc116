#include "classify/match_cache.h"

namespace iotcensus::classify {

MatchCache::MatchCache(const Classifier& classifier)
    : classifier_(classifier), reader_(ShapeReader::create(classifier.rules())) {}

uint32_t MatchCache::number(uint64_t mask) {
  const auto [it, inserted] = ids_.try_emplace(mask, static_cast<uint32_t>(masks_.size()));
  if (inserted) masks_.push_back(mask);
  last_mask_ = mask;
  last_id_ = it->second;
  return it->second;
}

}  // namespace iotcensus::classify

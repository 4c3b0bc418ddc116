#include "classify/match_cache.h"

namespace iotcensus::classify {

MatchCache::MatchCache(const Classifier& classifier)
    : classifier_(classifier), reader_(ShapeReader::create(classifier.rules())) {}

}  // namespace iotcensus::classify

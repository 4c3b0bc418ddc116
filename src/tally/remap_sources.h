// Replaces every source address in a TallySet through a mapping (the privacy stage's
// pseudonyms), once per distinct address, keeping the rows sorted and unique.
#pragma once

#include <functional>

#include "core/address.h"
#include "tally/tally_set.h"

namespace iotcensus::tally {

// `map` must be one-to-one (Crypto-PAn is), so no two rows collapse into one.
void remap_sources(TallySet& tallies,
                   const std::function<core::Address(const core::Address&)>& map);

}  // namespace iotcensus::tally

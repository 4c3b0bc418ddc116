// Replaces every source address in a TallySet through a mapping (the privacy stage's
// pseudonyms), once per distinct address, keeping the rows sorted and unique.
#pragma once

#include <cstddef>
#include <functional>

#include "core/address.h"
#include "tally/tally_set.h"

namespace iotcensus::tally {

// `map` must be one-to-one (Crypto-PAn is), so no two rows collapse into one.
void remap_sources(TallySet& tallies,
                   const std::function<core::Address(const core::Address&)>& map);

// The same with a mapping of many addresses at once (out[i] = map(in[i]) for i < n), called
// once with every distinct source, e.g. privacy::CryptoPan::anonymize_batch.
using BatchAddressMap =
    std::function<void(const core::Address* in, core::Address* out, std::size_t n)>;
void remap_sources_batch(TallySet& tallies, const BatchAddressMap& map);

}  // namespace iotcensus::tally

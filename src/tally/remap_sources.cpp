#include "tally/remap_sources.h"

#include <algorithm>
#include <cstdint>
#include <tuple>
#include <vector>

#include "tally/flat_map.h"

namespace iotcensus::tally {

namespace {
struct AddressHash {
  uint64_t operator()(const core::Address& a) const {
    return mix64(a.hi * 0x9e3779b97f4a7c15ULL ^ a.lo);
  }
};
}  // namespace

void remap_sources(TallySet& t, const std::function<core::Address(const core::Address&)>& map) {
  remap_sources_batch(t, [&](const core::Address* in, core::Address* out, std::size_t n) {
    for (std::size_t i = 0; i < n; ++i) out[i] = map(in[i]);
  });
}

void remap_sources_batch(TallySet& t, const BatchAddressMap& map) {
  // Every address of a capture is mapped once, however many bins it appears in: the distinct
  // addresses are collected (index + 1 in the map; 0 = not seen yet), mapped in one call, and
  // every row then takes its address's image.
  FlatMap<core::Address, uint32_t, AddressHash> index(t.sources.size() * 2 + 16);
  std::vector<core::Address> distinct;
  distinct.reserve(t.sources.size());
  auto collect = [&](const core::Address& a) {
    uint32_t& i = index[a];
    if (i == 0) {
      distinct.push_back(a);
      i = static_cast<uint32_t>(distinct.size());
    }
  };
  for (const auto& s : t.sources) collect(s.source);
  for (const auto& r : t.bin_sources) collect(r.source);
  for (const auto& r : t.bin_flags) collect(r.source);
  std::vector<core::Address> image(distinct.size());
  map(distinct.data(), image.data(), distinct.size());
  auto lookup = [&](const core::Address& a) { return image[*index.find(a) - 1]; };
  for (auto& s : t.sources) s.source = lookup(s.source);
  for (auto& r : t.bin_sources) r.source = lookup(r.source);
  for (auto& r : t.bin_flags) r.source = lookup(r.source);
  std::sort(t.sources.begin(), t.sources.end(), [](const auto& a, const auto& b) {
    return std::tie(a.source, a.class_id) < std::tie(b.source, b.class_id);
  });
  std::sort(t.bin_sources.begin(), t.bin_sources.end(), [](const auto& a, const auto& b) {
    return std::tie(a.bin_start, a.class_id, a.source) <
           std::tie(b.bin_start, b.class_id, b.source);
  });
  std::sort(t.bin_flags.begin(), t.bin_flags.end(), [](const auto& a, const auto& b) {
    return std::tie(a.bin_start, a.class_id, a.source, a.flags) <
           std::tie(b.bin_start, b.class_id, b.source, b.flags);
  });
}

}  // namespace iotcensus::tally

#include "tally/remap_sources.h"

#include <algorithm>
#include <tuple>

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
  // Every address of a capture is mapped once, however many bins it appears in.
  struct Mapped {
    bool done = false;
    core::Address to;
  };
  FlatMap<core::Address, Mapped, AddressHash> mapped(t.sources.size() * 2 + 16);
  auto lookup = [&](const core::Address& a) {
    Mapped& m = mapped[a];
    if (!m.done) {
      m.to = map(a);
      m.done = true;
    }
    return m.to;
  };
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
    return std::tie(a.bin_start, a.class_id, a.flag_id, a.source) <
           std::tie(b.bin_start, b.class_id, b.flag_id, b.source);
  });
}

}  // namespace iotcensus::tally

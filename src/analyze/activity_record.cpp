#include "analyze/activity_record.h"

namespace iotcensus::analyze {

void ActivityRecord::for_each_run(const std::function<void(int32_t, int32_t)>& fn) const {
  bool open = false;
  uint32_t start = 0, prev = 0;
  for (uint32_t d : days_) {
    if (open && d == prev + 1) {
      prev = d;
      continue;
    }
    if (open) fn(static_cast<int32_t>(start), static_cast<int32_t>(prev));
    start = prev = d;
    open = true;
  }
  if (open) fn(static_cast<int32_t>(start), static_cast<int32_t>(prev));
}

uint64_t ActivityRecord::days_between(int32_t from, int32_t to) const {
  if (to < from) return 0;
  const uint64_t upto = days_.rank(static_cast<uint32_t>(to));
  const uint64_t before = from > 0 ? days_.rank(static_cast<uint32_t>(from - 1)) : 0;
  return upto - before;
}

std::vector<int32_t> ActivityRecord::days_in(int32_t from, int32_t to) const {
  std::vector<int32_t> out;
  if (to < from) return out;
  auto it = days_.begin();
  it.equalorlarger(static_cast<uint32_t>(std::max(from, 0)));
  for (; it != days_.end() && static_cast<int32_t>(*it) <= to; ++it) {
    out.push_back(static_cast<int32_t>(*it));
  }
  return out;
}

int32_t ActivityRecord::last_before(int32_t day) const {
  if (day <= 0) return -1;
  const uint64_t n = days_.rank(static_cast<uint32_t>(day - 1));
  uint32_t v = 0;
  if (n == 0 || !days_.select(static_cast<uint32_t>(n - 1), &v)) return -1;
  return static_cast<int32_t>(v);
}

void ActivityRecord::compact() {
  days_.runOptimize();
  days_.shrinkToFit();
}

std::string ActivityRecord::serialize() const {
  std::string out(days_.getSizeInBytes(true), '\0');
  days_.write(out.data(), true);
  return out;
}

ActivityRecord ActivityRecord::deserialize(const std::string& bytes) {
  ActivityRecord r;
  r.days_ = Roaring::readSafe(bytes.data(), bytes.size());
  return r;
}

}  // namespace iotcensus::analyze

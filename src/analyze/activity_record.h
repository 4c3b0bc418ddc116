// The days a device (or an address) was seen, as a compressed bitmap of day numbers (Roaring,
// run-compressed): 13 years of daily activity in tens to hundreds of bytes per device.
#pragma once

#include <roaring/roaring.hh>

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace iotcensus::analyze {

class ActivityRecord {
 public:
  // `day` is a day number (days since 1970-01-01).
  void add(int32_t day) { days_.add(static_cast<uint32_t>(day)); }
  uint64_t days() const { return days_.cardinality(); }
  int32_t first() const { return static_cast<int32_t>(days_.minimum()); }
  // Calls fn(first, last) for each run of consecutive days, in order.
  void for_each_run(const std::function<void(int32_t, int32_t)>& fn) const;
  // Days in [from, to].
  uint64_t days_between(int32_t from, int32_t to) const;
  // The last day before `day`, or -1 when there is none.
  int32_t last_before(int32_t day) const;
  // The days in [from, to], in order.
  std::vector<int32_t> days_in(int32_t from, int32_t to) const;
  // Days on which both were seen.
  uint64_t shared_days(const ActivityRecord& other) const {
    return days_.and_cardinality(other.days_);
  }
  // Adds every day of `other` and empties it.
  void absorb(ActivityRecord& other) {
    days_ |= other.days_;
    other.days_ = Roaring();
  }
  // Run-compresses and frees slack; call when a record stops growing.
  void compact();
  // The portable Roaring format (what `devices --activity-out` writes).
  std::string serialize() const;
  static ActivityRecord deserialize(const std::string& bytes);

 private:
  Roaring days_;
};

}  // namespace iotcensus::analyze

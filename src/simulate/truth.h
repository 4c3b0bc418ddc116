// The ground truth behind an output: per day and class the devices alive and on-line and the
// requests sent, recorded and written; and the device table with address histories (--truth).
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "core/error.h"
#include "simulate/addressing.h"
#include "simulate/schedule.h"

namespace iotcensus::simulate {

class TruthTally {
 public:
  explicit TruthTally(const Scenario& scenario);

  void begin_day(int64_t day_s);
  // One living device on the current day: its plan and the requests the output got from it.
  void add(const Device& d, const DayPlan& plan, uint64_t recorded, uint64_t written) {
    Row& r = rows_.back()[class_of_cohort_[d.cohort]];
    ++r.alive;
    if (plan.sent > 0) ++r.online;
    r.sent += plan.sent;
    r.recorded += recorded;
    r.written += written;
  }
  uint64_t written_total() const;

  // DIR/daily.csv (day,class,alive,online) and DIR/requests.csv (day,class,sent,recorded,written).
  core::Status write_daily(const std::string& dir) const;

 private:
  struct Row {
    uint64_t alive = 0, online = 0, sent = 0, recorded = 0, written = 0;
  };
  std::vector<std::string> classes_;  // sorted
  std::vector<uint16_t> class_of_cohort_;
  std::vector<int64_t> days_;
  std::vector<std::vector<Row>> rows_;  // per day, per class
};

// DIR/devices.csv: id,class,cohort,birth,death,cadence_s,zombie,nat,addresses — addresses as
// ADDRESS@YYYY-MM-DD entries separated by ';' from birth until death or the scenario's end.
core::Status write_devices(const std::string& dir, const Scenario& scenario,
                           const Population& population, const AddressBook& book);

}  // namespace iotcensus::simulate

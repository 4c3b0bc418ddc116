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
  // One living device (`id`) on the current day: its plan and the requests the output got from it.
  void add(uint32_t id, const Device& d, const DayPlan& plan, uint64_t recorded, uint64_t written);
  uint64_t written_total() const;

  // DIR/daily.csv (day,class,alive,online), DIR/requests.csv (day,class,sent,recorded,written)
  // and DIR/windows.csv (day,class,online_1d,online_7d,online_30d: devices that sent at least one
  // request in the 1, 7 or 30 days ending that day, counting days from the output's start).
  core::Status write_daily(const std::string& dir);

 private:
  struct Row {
    uint64_t alive = 0, online = 0, sent = 0, recorded = 0, written = 0;
  };
  std::vector<std::string> classes_;  // sorted
  std::vector<uint16_t> class_of_cohort_;
  std::vector<int64_t> days_;
  std::vector<std::vector<Row>> rows_;  // per day, per class
  // Window truth: each device's last on-line day (index into days_, -1 never) and per class the
  // number of devices whose last on-line day is each day; windows are summed when a day closes.
  struct Window {
    uint64_t d7 = 0, d30 = 0;
  };
  void close_day();
  std::vector<int32_t> last_online_;
  std::vector<std::vector<uint64_t>> last_count_;  // per class, per day index
  std::vector<std::vector<Window>> windows_;       // per day, per class
};

// DIR/devices.csv: id,class,cohort,birth,death,cadence_s,zombie,nat,addresses — addresses as
// ADDRESS@YYYY-MM-DD entries separated by ';' from birth until death or the scenario's end.
core::Status write_devices(const std::string& dir, const Scenario& scenario,
                           const Population& population, const AddressBook& book);

}  // namespace iotcensus::simulate

// Truth files are plain CSV with a header row; days as YYYY-MM-DD, times as ISO 8601 UTC.

#include "simulate/truth.h"

#include <fmt/format.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <memory>

#include "core/time_bin.h"

namespace iotcensus::simulate {

namespace {

struct FileCloser {
  void operator()(std::FILE* f) const { std::fclose(f); }
};
using File = std::unique_ptr<std::FILE, FileCloser>;

core::Result<File> open_in(const std::string& dir, const std::string& name) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  const std::string path = dir + "/" + name;
  File f(std::fopen(path.c_str(), "wb"));
  if (!f) return core::make_error(core::ErrorCode::kIo, fmt::format("{}: cannot write", path));
  return f;
}

}  // namespace

TruthTally::TruthTally(const Scenario& scenario) {
  for (const auto& c : scenario.cohorts) classes_.push_back(c.class_name);
  std::sort(classes_.begin(), classes_.end());
  classes_.erase(std::unique(classes_.begin(), classes_.end()), classes_.end());
  for (const auto& c : scenario.cohorts) {
    class_of_cohort_.push_back(static_cast<uint16_t>(
        std::lower_bound(classes_.begin(), classes_.end(), c.class_name) - classes_.begin()));
  }
}

void TruthTally::begin_day(int64_t day_s) {
  close_day();
  days_.push_back(day_s);
  rows_.emplace_back(classes_.size());
  for (auto& counts : last_count_) counts.push_back(0);
}

void TruthTally::add(uint32_t id, const Device& d, const DayPlan& plan, uint64_t recorded,
                     uint64_t written) {
  const uint16_t cls = class_of_cohort_[d.cohort];
  Row& r = rows_.back()[cls];
  ++r.alive;
  r.sent += plan.sent;
  r.recorded += recorded;
  r.written += written;
  if (plan.sent == 0) return;
  ++r.online;
  if (id >= last_online_.size()) last_online_.resize(id + 1, -1);
  if (last_count_.empty()) last_count_.assign(classes_.size(), std::vector<uint64_t>(days_.size()));
  const auto today = static_cast<int32_t>(days_.size() - 1);
  int32_t& last = last_online_[id];
  if (last == today) return;
  if (last >= 0) --last_count_[cls][last];
  ++last_count_[cls][today];
  last = today;
}

void TruthTally::close_day() {
  if (windows_.size() >= days_.size()) return;
  const auto today = static_cast<int64_t>(days_.size()) - 1;
  std::vector<Window> w(classes_.size());
  for (size_t c = 0; c < classes_.size() && !last_count_.empty(); ++c) {
    for (int64_t back = 0; back < 30 && today - back >= 0; ++back) {
      const uint64_t n = last_count_[c][static_cast<size_t>(today - back)];
      if (back < 7) w[c].d7 += n;
      w[c].d30 += n;
    }
  }
  windows_.push_back(std::move(w));
}

uint64_t TruthTally::written_total() const {
  uint64_t n = 0;
  for (const auto& day : rows_) {
    for (const auto& r : day) n += r.written;
  }
  return n;
}

core::Status TruthTally::write_daily(const std::string& dir) {
  close_day();
  auto daily = open_in(dir, "daily.csv");
  if (!daily) return daily.error();
  auto requests = open_in(dir, "requests.csv");
  if (!requests) return requests.error();
  auto windows = open_in(dir, "windows.csv");
  if (!windows) return windows.error();
  fmt::print(daily->get(), "day,class,alive,online\n");
  fmt::print(requests->get(), "day,class,sent,recorded,written\n");
  fmt::print(windows->get(), "day,class,online_1d,online_7d,online_30d\n");
  for (size_t d = 0; d < days_.size(); ++d) {
    const std::string day = core::format_date(days_[d]);
    for (size_t c = 0; c < classes_.size(); ++c) {
      const Row& r = rows_[d][c];
      fmt::print(daily->get(), "{},{},{},{}\n", day, classes_[c], r.alive, r.online);
      fmt::print(requests->get(), "{},{},{},{},{}\n", day, classes_[c], r.sent, r.recorded,
                 r.written);
      fmt::print(windows->get(), "{},{},{},{},{}\n", day, classes_[c], r.online, windows_[d][c].d7,
                 windows_[d][c].d30);
    }
  }
  if (std::ferror(daily->get()) || std::ferror(requests->get()) || std::ferror(windows->get())) {
    return core::make_error(core::ErrorCode::kIo, dir + ": write error");
  }
  return core::Ok{};
}

core::Status write_devices(const std::string& dir, const Scenario& scenario,
                           const Population& population, const AddressBook& book) {
  auto out = open_in(dir, "devices.csv");
  if (!out) return out.error();
  std::FILE* f = out->get();
  fmt::print(f, "id,class,cohort,birth,death,cadence_s,zombie,nat,addresses\n");
  const int32_t end_day = day_index(scenario.end_s);
  std::string line;
  for (size_t id = 0; id < population.devices.size(); ++id) {
    const Device& d = population.devices[id];
    const Cohort& c = scenario.cohorts[d.cohort];
    const int64_t birth_s = core::floor_seconds(d.birth_ns);
    const int64_t death_s = core::floor_seconds(d.death_ns);
    const int32_t from = day_index(birth_s);
    const int32_t to = std::min<int64_t>(end_day, day_index(death_s) + 1);
    line = fmt::format("{},{},{},{},{},{:.6g},{},{},", id, c.class_name, c.name,
                       core::format_iso8601(birth_s),
                       d.death_ns == INT64_MAX ? std::string() : core::format_iso8601(death_s),
                       c.client.answered[d.cadence].interval_s * d.interval_factor,
                       d.zombie ? 1 : 0, d.nat ? 1 : 0);
    bool first = true;
    for (const auto& ch : book.history(d.slot, from, std::max(to, from + 1))) {
      if (!first) line += ';';
      first = false;
      line += ch.address.to_string();
      if (!ch.address.is_v4() && book.slot(d.slot).temporary) line += "/64";
      line += '@';
      line += core::format_date(int64_t{ch.day} * 86400);
    }
    line += '\n';
    std::fputs(line.c_str(), f);
  }
  if (std::ferror(f))
    return core::make_error(core::ErrorCode::kIo, dir + "/devices.csv: write error");
  return core::Ok{};
}

}  // namespace iotcensus::simulate

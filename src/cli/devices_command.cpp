// `iotcensus devices`: the devices a class's sources were linked into, one line per life: first
// and last seen, days active, state and censoring; optionally their activity records on disk.

#include <fmt/format.h>
#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include <cstdio>
#include <fstream>
#include <iostream>

#include "cli/commands.h"
#include "cli/population_pipeline.h"
#include "core/time_bin.h"
#include "store/sqlite_store.h"

namespace iotcensus::cli {

namespace {

struct DevicesOptions {
  LinkArgs link;
  std::string format = "table";
  size_t limit = 0;
  std::string activity_out;
};

int fail(const std::string& message, int code) {
  std::cerr << "iotcensus devices: " << message << "\n";
  return code;
}

std::string censoring(const analyze::Life& l) {
  switch (l.state) {
    case analyze::LifeState::kAlive:
      return "right (end of record)";
    case analyze::LifeState::kLost:
      return "right (vantage-point outage)";
    case analyze::LifeState::kDead:
      return "none";
  }
  return "?";
}

int run_devices(const DevicesOptions& o) {
  if (o.format != "table" && o.format != "csv" && o.format != "json") {
    return fail(fmt::format("--format '{}': use table, csv or json", o.format), 2);
  }
  auto opened = open_and_link(o.link);
  if (!opened) return fail(opened.error().message, link_exit_code(opened.error()));
  const auto& linked = opened->classes;
  auto& store = opened->store;
  if (!o.activity_out.empty()) {
    // Activity records: per life, class, track and the Roaring portable bitmap of its days.
    const std::string tmp = o.activity_out + ".tmp";
    std::ofstream f(tmp, std::ios::binary);
    uint64_t bytes = 0, records = 0;
    for (const auto& [name, c] : linked) {
      for (size_t t = 0; t < c.linker->tracks().size(); ++t) {
        if (c.linker->tracks()[t].addresses == 0) continue;  // joined into another device
        const std::string blob = c.linker->track_activity()[t].serialize();
        const uint32_t n = static_cast<uint32_t>(blob.size());
        const uint16_t len = static_cast<uint16_t>(name.size());
        const uint32_t id = static_cast<uint32_t>(t);
        f.write(reinterpret_cast<const char*>(&len), sizeof len);
        f.write(name.data(), len);
        f.write(reinterpret_cast<const char*>(&id), sizeof id);
        f.write(reinterpret_cast<const char*>(&n), sizeof n);
        f.write(blob.data(), n);
        bytes += blob.size();
        ++records;
      }
    }
    f.close();
    if (!f || std::rename(tmp.c_str(), o.activity_out.c_str()) != 0) {
      std::remove(tmp.c_str());
      return fail(fmt::format("{}: cannot write activity records", o.activity_out), 1);
    }
    std::cerr << fmt::format(
        "iotcensus devices: {} activity records, {} bytes of bitmaps ({:.1f} "
        "per device) in {}\n",
        records, bytes, records ? static_cast<double>(bytes) / static_cast<double>(records) : 0.0,
        o.activity_out);
  }
  auto policy = store.address_policy();
  auto day = [](int32_t d) { return core::format_date(int64_t{d} * 86400); };
  nlohmann::json j = nlohmann::json::array();
  if (o.format == "csv") {
    std::cout << "device,class,address,first_seen,last_seen,days_active,state,censoring,"
                 "left_truncated,addresses,devices_behind\n";
  } else if (o.format == "table") {
    std::cout << "addresses: "
              << (policy && policy.value() ? policy.value()->describe() : "none ingested") << "\n";
    for (const auto& [name, c] : linked) {
      std::cout << fmt::format("{}: {} lives; {}\n", name, c.lives.size(), c.absence.reason);
    }
    std::cout << fmt::format(
        "{:>8}  {:<22}  {:<39}  {:<10}  {:<10}  {:>6}  {:<14}  {:<5}  {:>4}  {:>3}\n", "device",
        "class", "address", "first seen", "last seen", "days", "state", "trunc", "addr", "nat");
  }
  size_t shown = 0;
  for (const auto& [name, c] : linked) {
    for (const auto& l : c.lives) {
      if (o.limit && shown >= o.limit) break;
      ++shown;
      const std::string address = c.linker->address_of(c.linker->tracks()[l.track]).to_string();
      const std::string id = fmt::format("{}", l.track);
      if (o.format == "csv") {
        std::cout << fmt::format("{},{},{},{},{},{},{},{},{},{},{}\n", id, name, address,
                                 day(l.first_day), day(l.last_day), l.days_active,
                                 analyze::life_state_name(l.state), censoring(l),
                                 l.left_truncated ? "yes" : "no", l.addresses, l.devices);
      } else if (o.format == "json") {
        j.push_back({{"device", l.track},
                     {"class", name},
                     {"address", address},
                     {"first_seen", day(l.first_day)},
                     {"last_seen", day(l.last_day)},
                     {"days_active", l.days_active},
                     {"state", analyze::life_state_name(l.state)},
                     {"censoring", censoring(l)},
                     {"left_truncated", l.left_truncated},
                     {"addresses", l.addresses},
                     {"devices_behind", l.devices}});
      } else {
        std::cout << fmt::format(
            "{:>8}  {:<22}  {:<39}  {:<10}  {:<10}  {:>6}  {:<14}  {:<5}  {:>4}  {:>3}\n", id, name,
            address, day(l.first_day), day(l.last_day), l.days_active,
            analyze::life_state_name(l.state), l.left_truncated ? "yes" : "no", l.addresses,
            l.devices);
      }
    }
  }
  if (o.format == "json") std::cout << j.dump(1) << "\n";
  return 0;
}

}  // namespace

Command add_devices_command(CLI::App& app) {
  auto o = std::make_shared<DevicesOptions>();
  auto* sub = app.add_subcommand(
      "devices", "Devices linked from the sources: first and last seen, state and censoring");
  sub->add_option("--store", o->link.store, "Store file (SQLite)")->capture_default_str();
  sub->add_option("--class", o->link.class_name, "Only this class");
  sub->add_option("--format", o->format, "table, csv or json")->capture_default_str();
  sub->add_option("--limit", o->limit, "At most this many lines (0: all)")->capture_default_str();
  add_link_options(sub, o->link);
  sub->add_option("--activity-out", o->activity_out,
                  "Write every device's activity record (Roaring bitmaps of its days) here");
  return {sub, [o] { return run_devices(*o); }};
}

}  // namespace iotcensus::cli

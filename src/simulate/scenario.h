// A scenario: the cohorts of devices (client behaviour, births, lifetimes, activity, addressing)
// and the vantage point that sees them (server, unanswered episodes, recording outages).
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/address.h"
#include "core/error.h"
#include "simulate/birth_curve.h"
#include "simulate/lifetime.h"

namespace iotcensus::simulate {

// What a client puts in the transmit timestamp (bytes 40-47 of its request).
enum class TransmitFill {
  kTemplate,     // as in request_hex (the flawed Netgear client: all zero)
  kClock,        // the send time, full resolution
  kClockNtpdig,  // the send time with the low 11 bits cleared (ntpsec ntpdig)
  kRandom,       // 64 random bits (chrony)
};

// How a client picks its UDP source port.
enum class PortMode {
  kFixed,       // always `fixed_port` (Netgear 23457, or 123 for some SNTP devices)
  kPerDay,      // one ephemeral port per device and day (a daemon restarted daily)
  kPerRequest,  // a new ephemeral port for every request (chronyd)
};

struct AnsweredCadence {
  double interval_s = 0;
  double share = 0;
};

struct ClientBehaviour {
  std::array<uint8_t, 48> request{};  // the 48-byte NTP header as sent
  TransmitFill transmit = TransmitFill::kTemplate;
  PortMode port_mode = PortMode::kFixed;
  uint16_t fixed_port = 0;
  std::vector<AnsweredCadence> answered;  // shares sum to 1 (normalised by the loader)
  double unanswered_interval_s = 0;
  double interval_spread = 0;  // per-device factor uniform in [1 - s, 1 + s]
  double zombie_share = 0;     // flood at the unanswered cadence although answered
};

struct Activity {
  double online_share = 1.0;          // probability a living device is on-line on a given day
  double session_hours = 24;          // length of the daily on-line session
  double session_start_hour = 0;      // mean start of the session (UTC hour; the diurnal cycle)
  double session_start_sd_hours = 0;  // its spread (normal, wrapped into the day)
};

struct Addressing {
  double static_share = 1.0;        // addresses that never change
  double dhcp_changes_per_day = 0;  // for the others: rate of re-addressing within their /24
  double nat_share = 0;             // behind a NAT that rewrites source ports
  int devices_per_address = 1;      // NAT'd devices share one public address k at a time
  double nat_port_timeout_s = 300;  // a NAT mapping outlives gaps shorter than this
  double ipv6_share = 0;            // devices on IPv6 (never NAT'd)
  double ipv6_temporary_share = 0;  // of those, using a daily temporary address in their /64
};

struct Cohort {
  std::string name;
  std::string class_name;
  uint64_t count = 0;  // before --scale
  ClientBehaviour client;
  BirthCurve births;
  Lifetime lifetime;
  Activity activity;
  Addressing addressing;
};

struct Episode {
  int64_t from_s = 0;  // [from, to), Unix seconds
  int64_t to_s = 0;
  std::string note;
};

struct Vantage {
  core::Address server;             // IPv4 server address
  core::Address server6;            // IPv6 server address
  std::vector<Episode> unanswered;  // the server does not answer (flood episodes)
  std::vector<Episode> outages;     // nothing is recorded
};

struct Scenario {
  std::string name;
  std::string description;
  int64_t start_s = 0;  // first day simulated (midnight UTC)
  int64_t end_s = 0;    // exclusive, midnight UTC
  Vantage vantage;
  std::vector<Cohort> cohorts;
};

// Parses scenario TOML; errors name `origin`, the cohort and the key.
core::Result<Scenario> parse_scenario(std::string_view toml_text, const std::string& origin);
core::Result<Scenario> load_scenario_file(const std::string& path);

// Resolves `--scenario`: an existing file path, else NAME from $IOTCENSUS_SCENARIOS_DIR, else
// scenarios/NAME.toml under the current directory. The error lists the places tried.
core::Result<Scenario> resolve_scenario(const std::string& name_or_path);

}  // namespace iotcensus::simulate

// What the census keeps, whatever the backend: ingested captures (by content hash), per-bin
// tallies and exact source sets, per-source first/last seen and cadence; and the queries on it.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/error.h"
#include "core/source_day.h"
#include "tally/tally_set.h"

namespace iotcensus::store {

using core::SourceDay;

inline constexpr int kSchemaVersion = 3;

// One ingested capture, as recorded in the store.
struct CaptureRecord {
  std::string content_hash;
  std::string path;
  uint64_t size = 0;
  uint64_t records = 0;
  uint64_t ntp_packets = 0;
  int64_t first_ns = 0;
  int64_t last_ns = 0;
};

// One row of the census: a bin of the requested width and a class.
struct CensusRow {
  int64_t bin_start = 0;
  std::string class_name;
  uint64_t packets = 0;
  uint64_t bytes = 0;
  uint64_t sources = 0;
  uint64_t prefixes24 = 0;  // distinct IPv4 /24
  uint64_t prefixes64 = 0;  // distinct IPv6 /64
  uint64_t prefixes48 = 0;  // distinct IPv6 /48
  uint64_t source_ports = 0;
  uint64_t evidence_packets = 0;
  double packets_per_second = 0;  // packets over the bin width
  bool suppressed = false;        // fewer than k distinct sources: numbers withheld on publication
};

struct FlagRow {
  int64_t bin_start = 0;
  std::string class_name;
  std::string flag;
  uint64_t packets = 0;
  uint64_t sources = 0;
  bool suppressed = false;
};

struct SourceRow {
  std::string source;  // address text
  std::string class_name;
  int64_t first_ns = 0;
  int64_t last_ns = 0;
  uint64_t packets = 0;
  double median_interval_s = 0;
  double spread_octaves = 0;
  uint32_t intervals = 0;
};

struct ClassRow {
  std::string name;
  std::string kind;  // "class" or "flag"
  std::string description;
  uint64_t packets = 0;
  uint64_t sources = 0;
};

// How the store's source addresses were written: all captures of a store share one policy,
// because pseudonyms made with different keys (or mixed with raw addresses) would count one
// device twice.
struct AddressPolicy {
  std::string mode;             // "cryptopan" or "raw"
  std::string key_fingerprint;  // cryptopan: first 8 bytes of SHA-256(key), hex
  bool operator==(const AddressPolicy&) const = default;
  std::string describe() const {
    if (mode == "raw") return "RAW source addresses (not anonymized; --raw-addresses)";
    return "Crypto-PAn pseudonyms of source addresses (prefix-preserving; key fingerprint " +
           key_fingerprint + ")";
  }
};

struct CensusQuery {
  int64_t bin_width_s = 86400;  // a multiple of the store's base bin width
  std::optional<std::string> class_name;
};

}  // namespace iotcensus::store

#include "report/census_report.h"

#include <fmt/format.h>
#include <fmt/ostream.h>

#include <nlohmann/json.hpp>

#include "core/time_bin.h"

namespace iotcensus::report {

std::optional<Format> parse_format(const std::string& name) {
  if (name == "table") return Format::kTable;
  if (name == "csv") return Format::kCsv;
  if (name == "json") return Format::kJson;
  return std::nullopt;
}

std::string format_bin(int64_t bin_start, int64_t bin_width_s) {
  if (bin_width_s % core::kSecondsPerDay == 0) return core::format_date(bin_start);
  return core::format_iso8601(bin_start);
}

namespace {

void write_csv(std::ostream& out, const CensusReport& r) {
  out << "bin_start,class,packets,bytes,sources,prefixes24,prefixes64,prefixes48,source_ports,"
         "packets_per_second,evidence_packets,suppressed,addresses\n";
  // Every row says how its sources were counted: "pseudonyms" (Crypto-PAn) or "raw".
  const char* addresses = r.addresses && r.addresses->mode == "raw" ? "raw" : "pseudonyms";
  for (const auto& row : r.rows) {
    if (row.suppressed) {
      fmt::print(out, "{},{},,,,,,,,,,1,{}\n", format_bin(row.bin_start, r.bin_width_s),
                 row.class_name, addresses);
      continue;
    }
    fmt::print(out, "{},{},{},{},{},{},{},{},{},{:.6g},{},0,{}\n",
               format_bin(row.bin_start, r.bin_width_s), row.class_name, row.packets, row.bytes,
               row.sources, row.prefixes24, row.prefixes64, row.prefixes48, row.source_ports,
               row.packets_per_second, row.evidence_packets, addresses);
  }
}

void write_json(std::ostream& out, const CensusReport& r) {
  nlohmann::json j;
  j["bin_width_s"] = r.bin_width_s;
  if (r.addresses) {
    j["addresses"] = {{"mode", r.addresses->mode},
                      {"key_fingerprint", r.addresses->key_fingerprint},
                      {"description", r.addresses->describe()}};
  }
  j["publication"] = {
      {"k", r.publication.k},
      {"rule", "cells backed by fewer than k distinct sources are suppressed (numbers withheld)"},
      {"suppressed_rows", r.publication.suppressed_rows},
      {"suppressed_flags", r.publication.suppressed_flags}};
  j["anonymization"] = nlohmann::json::array();
  for (const auto& f : anonymization_metadata(r.addresses)) {
    j["anonymization"].push_back({{"field", f.field},
                                  {"technique", f.technique},
                                  {"stability", f.stability},
                                  {"granularity", f.granularity}});
  }
  j["rows"] = nlohmann::json::array();
  for (const auto& row : r.rows) {
    if (row.suppressed) {
      j["rows"].push_back({{"bin_start", format_bin(row.bin_start, r.bin_width_s)},
                           {"bin_start_unix", row.bin_start},
                           {"class", row.class_name},
                           {"suppressed", true}});
      continue;
    }
    j["rows"].push_back({{"bin_start", format_bin(row.bin_start, r.bin_width_s)},
                         {"bin_start_unix", row.bin_start},
                         {"class", row.class_name},
                         {"packets", row.packets},
                         {"bytes", row.bytes},
                         {"sources", row.sources},
                         {"prefixes24", row.prefixes24},
                         {"prefixes64", row.prefixes64},
                         {"prefixes48", row.prefixes48},
                         {"source_ports", row.source_ports},
                         {"packets_per_second", row.packets_per_second},
                         {"evidence_packets", row.evidence_packets},
                         {"suppressed", false}});
  }
  j["flags"] = nlohmann::json::array();
  for (const auto& f : r.flags) {
    j["flags"].push_back({{"bin_start", format_bin(f.bin_start, r.bin_width_s)},
                          {"class", f.class_name},
                          {"flag", f.flag},
                          {"packets", f.packets},
                          {"sources", f.sources},
                          {"suppressed", f.suppressed}});
  }
  j["captures"] = nlohmann::json::array();
  for (const auto& c : r.captures) {
    j["captures"].push_back({{"path", c.path},
                             {"content_hash", c.content_hash},
                             {"records", c.records},
                             {"ntp_packets", c.ntp_packets}});
  }
  out << j.dump(2) << "\n";
}

void write_table(std::ostream& out, const CensusReport& r) {
  uint64_t ntp = 0;
  for (const auto& c : r.captures) ntp += c.ntp_packets;
  fmt::print(out, "iotcensus census: {} capture(s), {} NTP packets, bins of {} s\n",
             r.captures.size(), ntp, r.bin_width_s);
  if (r.addresses) fmt::print(out, "addresses: {}\n", r.addresses->describe());
  if (r.publication.k > 1) {
    fmt::print(out,
               "publication: k = {}: {} row(s) and {} flag row(s) backed by fewer than {} "
               "distinct sources are suppressed (shown as 'suppressed'; --k 1 shows all)\n",
               r.publication.k, r.publication.suppressed_rows, r.publication.suppressed_flags,
               r.publication.k);
  }
  out << "\n";
  if (r.rows.empty()) {
    out << "(no NTP traffic in the store)\n";
    return;
  }
  size_t class_w = 5;
  for (const auto& row : r.rows) class_w = std::max(class_w, row.class_name.size());
  const size_t bin_w = format_bin(r.rows.front().bin_start, r.bin_width_s).size();
  fmt::print(out, "{:<{}}  {:<{}}  {:>10}  {:>12}  {:>8}  {:>6}  {:>6}  {:>6}  {:>6}  {:>10}\n",
             "bin", bin_w, "class", class_w, "packets", "bytes", "sources", "/24", "/64", "/48",
             "ports", "pkt/s");
  for (const auto& row : r.rows) {
    if (row.suppressed) {
      fmt::print(out, "{:<{}}  {:<{}}  {:>10}\n", format_bin(row.bin_start, r.bin_width_s), bin_w,
                 row.class_name, class_w, "suppressed");
      continue;
    }
    fmt::print(out,
               "{:<{}}  {:<{}}  {:>10}  {:>12}  {:>8}  {:>6}  {:>6}  {:>6}  {:>6}  {:>10.4g}\n",
               format_bin(row.bin_start, r.bin_width_s), bin_w, row.class_name, class_w,
               row.packets, row.bytes, row.sources, row.prefixes24, row.prefixes64, row.prefixes48,
               row.source_ports, row.packets_per_second);
  }
  if (!r.flags.empty()) {
    out << "\nflags (RFC violations and behaviours)\n";
    for (const auto& f : r.flags) {
      if (f.suppressed) {
        fmt::print(out, "{:<{}}  {:<{}}  {:<28}  {:>10}\n", format_bin(f.bin_start, r.bin_width_s),
                   bin_w, f.class_name, class_w, f.flag, "suppressed");
        continue;
      }
      fmt::print(out, "{:<{}}  {:<{}}  {:<28}  {:>10} packets  {:>8} sources\n",
                 format_bin(f.bin_start, r.bin_width_s), bin_w, f.class_name, class_w, f.flag,
                 f.packets, f.sources);
    }
  }
  out << "\nanonymization (RFC 6235 style)\n";
  for (const auto& f : anonymization_metadata(r.addresses)) {
    fmt::print(out, "  {}: {}; {}; granularity: {}\n", f.field, f.technique, f.stability,
               f.granularity);
  }
}

}  // namespace

void write_census(std::ostream& out, const CensusReport& report, Format format) {
  switch (format) {
    case Format::kCsv:
      write_csv(out, report);
      break;
    case Format::kJson:
      write_json(out, report);
      break;
    case Format::kTable:
      write_table(out, report);
      break;
  }
}

}  // namespace iotcensus::report

// `iotcensus ingest FILE...`: each capture is tallied in memory and merged into the store in one
// transaction keyed by its content hash; a bad file is reported and the others go on.

#include <fmt/format.h>
#include <CLI/CLI.hpp>

#include <sys/stat.h>

#include <iostream>
#include <nlohmann/json.hpp>

#include "capture/capture_file.h"
#include "capture/content_hash.h"
#include "capture/daily_summary.h"
#include "capture/mapped_file.h"
#include "cli/commands.h"
#include "cli/ingest_pipeline.h"
#include "cli/memory_reuse.h"
#include "cli/rule_options.h"
#include "core/time_bin.h"
#include "privacy/crypto_pan.h"
#include "privacy/key_file.h"
#include "store/sqlite_store.h"
#include "tally/remap_sources.h"

namespace iotcensus::cli {

namespace {

struct IngestOptions {
  std::vector<std::string> files;
  std::string store = "census.db";
  std::string bin_width = "hour";
  bool json = false;
  bool quiet = false;
  std::string key_file;  // default: iotcensus.key beside the store
  bool raw_addresses = false;
  RuleOptions rules;
};

std::string default_key_path(const std::string& store) {
  const auto slash = store.rfind('/');
  return (slash == std::string::npos ? std::string() : store.substr(0, slash + 1)) +
         "iotcensus.key";
}

// The address policy of this ingest and, for pseudonyms, the Crypto-PAn instance to make them.
struct Anonymizer {
  store::AddressPolicy policy;
  std::optional<privacy::CryptoPan> pan;
};

core::Result<Anonymizer> make_anonymizer(const IngestOptions& o, store::SqliteStore& store) {
  Anonymizer a;
  if (o.raw_addresses) {
    a.policy = {"raw", ""};
    return a;
  }
  const bool explicit_key = !o.key_file.empty();
  const std::string path = explicit_key ? o.key_file : default_key_path(o.store);
  core::Result<privacy::Key> key = privacy::read_key_file(path);
  if (!key) {
    struct stat st {};
    if (explicit_key || stat(path.c_str(), &st) == 0) return key.error();
    auto existing = store.address_policy();
    if (existing && existing.value() && existing.value()->mode == "cryptopan") {
      return core::make_error(
          core::ErrorCode::kUsage,
          fmt::format("{}: key file not found, but {} holds pseudonyms made with key fingerprint "
                      "{}; pass that key with --key",
                      path, o.store, existing.value()->key_fingerprint));
    }
    key = privacy::create_key_file(path);
    if (!key) return key.error();
    std::cerr << fmt::format(
        "iotcensus ingest: created Crypto-PAn key {} (mode 0600); source addresses are stored as "
        "pseudonyms made with it. Keep it to add captures later; --raw-addresses stores real "
        "addresses instead.\n",
        path);
  }
  std::string error;
  a.pan = privacy::CryptoPan::create(key.value(), &error);
  if (!a.pan) return core::make_error(core::ErrorCode::kUsage, path + ": " + error);
  a.policy = {"cryptopan", privacy::key_fingerprint(key.value())};
  return a;
}

nlohmann::json skipped_json(const decode::DecodeCounters& c) {
  nlohmann::json j = nlohmann::json::object();
  for (size_t i = 0; i < decode::kSkipReasonCount; ++i) {
    if (c.skipped[i] != 0)
      j[std::string(decode::skip_reason_name(static_cast<decode::SkipReason>(i)))] = c.skipped[i];
  }
  return j;
}

nlohmann::json anomalies_json(const decode::DecodeCounters& c) {
  nlohmann::json j = nlohmann::json::object();
  for (size_t i = 0; i < decode::kAnomalyCount; ++i) {
    if (c.anomalies[i] != 0)
      j[std::string(decode::anomaly_name(static_cast<decode::Anomaly>(i)))] = c.anomalies[i];
  }
  return j;
}

int run_ingest(const IngestOptions& o) {
  keep_freed_memory();  // each capture's tallies reuse the memory of the one before
  auto width = core::parse_bin_width(o.bin_width);
  if (!width) {
    std::cerr << fmt::format(
        "iotcensus ingest: --bin-width '{}' is not a width (hour, day, 15m, 3600)\n", o.bin_width);
    return 2;
  }
  auto classifier = o.rules.load();
  if (!classifier) {
    std::cerr << "iotcensus ingest: " << classifier.error().message << "\n";
    return 2;
  }
  auto store = store::SqliteStore::open(o.store, *width);
  if (!store) {
    std::cerr << "iotcensus ingest: " << store.error().message << "\n";
    return 2;
  }
  auto anonymizer = make_anonymizer(o, store.value());
  if (!anonymizer) {
    std::cerr << "iotcensus ingest: " << anonymizer.error().message << "\n";
    return 2;
  }
  auto& pan = anonymizer->pan;
  int failures = 0;
  for (const auto& path : o.files) {
    nlohmann::json j;
    j["file"] = path;
    auto report_error = [&](const core::Error& e) {
      ++failures;
      j["status"] = "error";
      j["error"] = e.message;
      j["error_code"] = core::error_code_name(e.code);
      std::cerr << "iotcensus ingest: " << e.message << "\n";
      if (o.json) std::cout << j.dump() << std::endl;
    };
    auto mapped = capture::MappedFile::open(path);
    if (!mapped) {
      report_error(mapped.error());
      continue;
    }
    const std::string hash = capture::content_hash(mapped->data(), mapped->size());
    const uint64_t file_size = mapped->size();
    j["content_hash"] = hash;
    auto previous = store->find_capture(hash);
    if (!previous) {
      report_error(previous.error());
      continue;
    }
    if (previous.value()) {
      const auto& p = *previous.value();
      j["status"] = "duplicate";
      j["packets"] = p.records;
      j["ntp_packets"] = p.ntp_packets;
      j["skipped"] = nlohmann::json::object();
      j["note"] = fmt::format("already ingested as {}; not counted again", p.path);
      if (o.json) {
        std::cout << j.dump() << std::endl;
      } else if (!o.quiet) {
        std::cout << fmt::format("{}: already ingested (as {}), not counted again\n", path, p.path);
      }
      continue;
    }
    auto tallied = [&]() -> core::Result<TalliedCapture> {
      if (capture::is_daily_summary(mapped.value())) {
        return tally_daily_summary(mapped.value(), classifier.value(), store->base_bin_width_s());
      }
      auto file = capture::CaptureFile::from(std::move(mapped.value()));
      if (!file) return file.error();
      return tally_capture(file.value(), classifier.value(), store->base_bin_width_s());
    }();
    if (!tallied) {
      report_error(tallied.error());
      continue;
    }
    auto& t = tallied.value();
    if (pan) {
      tally::remap_sources_batch(t.tallies,
                                 [&](const core::Address* in, core::Address* out, std::size_t n) {
                                   pan->anonymize_batch(in, out, n);
                                 });
    }
    store::CaptureRecord record{hash,           path,       file_size, t.summary.records,
                                t.counters.ntp, t.first_ns, t.last_ns};
    if (auto st = store->ingest(record, t.tallies, anonymizer->policy); !st) {
      report_error(st.error());
      continue;
    }
    j["status"] = "ingested";
    j["format"] = t.format;
    if (t.format == "daily") j["rows"] = t.rows;
    j["packets"] = t.summary.records;
    j["ntp_packets"] = t.counters.ntp;
    j["skipped"] = skipped_json(t.counters);
    j["anomalies"] = anomalies_json(t.counters);
    j["sources"] = t.tallies.sources.size();
    j["cut_short"] = t.summary.cut_short;
    if (t.summary.cut_short) j["cut_short_detail"] = t.summary.cut_short_detail;
    if (t.summary.unknown_interface) j["unknown_interface"] = t.summary.unknown_interface;
    if (t.counters.ntp > 0) {
      j["first"] = core::format_iso8601(core::floor_seconds(t.first_ns));
      j["last"] = core::format_iso8601(core::floor_seconds(t.last_ns));
    }
    if (t.summary.cut_short) {
      std::cerr << fmt::format(
          "iotcensus ingest: {}: warning: capture cut short ({}); the {} complete records were "
          "ingested\n",
          path, t.summary.cut_short_detail, t.summary.records);
    }
    if (o.json) {
      std::cout << j.dump() << std::endl;
    } else if (!o.quiet) {
      std::cout << fmt::format("{}: {} packets, {} NTP, {} sources\n", path, t.summary.records,
                               t.counters.ntp, t.tallies.sources.size());
    }
  }
  return failures == 0 ? 0 : 1;
}

}  // namespace

Command add_ingest_command(CLI::App& app) {
  auto o = std::make_shared<IngestOptions>();
  auto* sub =
      app.add_subcommand("ingest", "Read capture files (pcap, pcapng) into the census store");
  sub->add_option("files", o->files, "Capture files")->required();
  sub->add_option("--store", o->store, "Store file (SQLite)")->capture_default_str();
  sub->add_option("--bin-width", o->bin_width,
                  "Base bin width of a new store (hour, day, 15m, 3600...); reports use multiples")
      ->capture_default_str();
  sub->add_flag("--json", o->json, "Print one JSON object per file (see docs/formats.md)");
  sub->add_flag("-q,--quiet", o->quiet, "Print only errors and warnings");
  sub->add_option("--key", o->key_file,
                  "Crypto-PAn key file for source pseudonyms (default: iotcensus.key beside the "
                  "store, created on first use)");
  sub->add_flag("--raw-addresses", o->raw_addresses,
                "Store real source addresses instead of pseudonyms (reports say so)");
  o->rules.add_to(*sub);
  return {sub, [o] { return run_ingest(*o); }};
}

}  // namespace iotcensus::cli

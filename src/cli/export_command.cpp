// `iotcensus export`: per-device records (source, class, first and last seen, packets, cadence)
// as CSV; with --anonymized the sources are always Crypto-PAn pseudonyms, fit to share.

#include <fmt/format.h>
#include <CLI/CLI.hpp>

#include <cstdint>
#include <fstream>
#include <iostream>

#include "cli/commands.h"
#include "core/time_bin.h"
#include "privacy/crypto_pan.h"
#include "privacy/key_file.h"
#include "store/sqlite_store.h"

namespace iotcensus::cli {

namespace {

struct ExportOptions {
  std::string store = "census.db";
  std::string out = "-";
  std::string class_name;
  std::string key_file;
  bool anonymized = false;
};

int run_export(const ExportOptions& o) {
  auto store = store::SqliteStore::open_existing(o.store);
  if (!store) {
    std::cerr << "iotcensus export: " << store.error().message << "\n";
    return 2;
  }
  auto policy = store->address_policy();
  if (!policy) {
    std::cerr << "iotcensus export: " << policy.error().message << "\n";
    return 2;
  }
  const bool raw = !policy.value() || policy.value()->mode == "raw";
  std::optional<privacy::CryptoPan> pan;
  std::string fingerprint = raw ? "" : policy.value()->key_fingerprint;
  if (o.anonymized && raw) {
    // The store holds real addresses: pseudonymize them on the way out.
    if (o.key_file.empty()) {
      std::cerr << "iotcensus export: " << o.store
                << " holds raw addresses; --anonymized needs --key FILE to make pseudonyms\n";
      return 2;
    }
    auto key = privacy::read_key_file(o.key_file);
    if (!key) {
      std::cerr << "iotcensus export: " << key.error().message << "\n";
      return 2;
    }
    std::string error;
    pan = privacy::CryptoPan::create(key.value(), &error);
    if (!pan) {
      std::cerr << "iotcensus export: " << error << "\n";
      return 2;
    }
    fingerprint = privacy::key_fingerprint(key.value());
  }
  std::optional<std::string> cls;
  if (!o.class_name.empty()) cls = o.class_name;
  auto rows = store->sources(cls, SIZE_MAX);
  if (!rows) {
    std::cerr << "iotcensus export: " << rows.error().message << "\n";
    return 2;
  }
  std::ofstream file;
  if (o.out != "-") {
    file.open(o.out, std::ios::trunc);
    if (!file) {
      std::cerr << "iotcensus export: " << o.out << ": cannot write\n";
      return 2;
    }
  }
  std::ostream& out = o.out == "-" ? std::cout : file;
  if (o.anonymized || !raw) {
    out << fmt::format(
        "# sources are Crypto-PAn pseudonyms (prefix-preserving, key fingerprint {})\n",
        fingerprint);
  } else {
    out << "# sources are RAW addresses (not anonymized): do not share this file\n";
  }
  out << "source,class,first_seen,last_seen,packets,median_interval_s,spread_octaves\n";
  auto when = [](int64_t ns) { return core::format_iso8601(core::floor_seconds(ns)); };
  for (const auto& r : rows.value()) {
    std::string source = r.source;
    if (pan) {
      auto a = core::Address::parse(r.source);
      if (!a) continue;
      source = (a->is_v4() ? core::Address::from_v4(pan->anonymize_v4(a->v4()))
                           : core::Address::from_bytes(pan->anonymize_v6(a->bytes())))
                   .to_string();
    }
    out << fmt::format("{},{},{},{},{},{:.6g},{:.3f}\n", source, r.class_name, when(r.first_ns),
                       when(r.last_ns), r.packets, r.median_interval_s, r.spread_octaves);
  }
  out.flush();
  if (!out) {
    std::cerr << "iotcensus export: " << o.out << ": write failed\n";
    return 2;
  }
  return 0;
}

}  // namespace

Command add_export_command(CLI::App& app) {
  auto o = std::make_shared<ExportOptions>();
  auto* sub = app.add_subcommand("export", "Write per-device records (CSV) from the store");
  sub->add_option("--store", o->store, "Store file (SQLite)")->capture_default_str();
  sub->add_option("--out", o->out, "Output file ('-' for standard output)")->capture_default_str();
  sub->add_option("--class", o->class_name, "Only this class");
  sub->add_flag("--anonymized", o->anonymized,
                "Guarantee pseudonyms: a store of raw addresses is pseudonymized with --key");
  sub->add_option("--key", o->key_file, "Key file for --anonymized on a store of raw addresses");
  return {sub, [o] { return run_export(*o); }};
}

}  // namespace iotcensus::cli

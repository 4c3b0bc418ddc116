// `iotcensus keygen` writes a new Crypto-PAn key file (mode 0600); `iotcensus anonymize` maps
// addresses read one per line on standard input to their pseudonyms under a key.

#include <fmt/format.h>
#include <CLI/CLI.hpp>

#include <iostream>

#include "cli/commands.h"
#include "core/address.h"
#include "privacy/crypto_pan.h"
#include "privacy/key_file.h"

namespace iotcensus::cli {

namespace {

struct AnonymizeOptions {
  std::string key_file;
  std::string key_hex;
};

int run_anonymize(const AnonymizeOptions& o) {
  core::Result<privacy::Key> key = o.key_hex.empty()
                                       ? privacy::read_key_file(o.key_file)
                                       : privacy::parse_key_text(o.key_hex, "--key-hex");
  if (!key) {
    std::cerr << "iotcensus anonymize: " << key.error().message << "\n";
    return 2;
  }
  std::string error;
  auto pan = privacy::CryptoPan::create(key.value(), &error);
  if (!pan) {
    std::cerr << "iotcensus anonymize: " << error << "\n";
    return 2;
  }
  std::string line;
  uint64_t line_no = 0;
  int bad = 0;
  std::string out;
  while (std::getline(std::cin, line)) {
    ++line_no;
    std::string text = line;
    while (!text.empty() && isspace(static_cast<unsigned char>(text.back()))) text.pop_back();
    size_t start = 0;
    while (start < text.size() && isspace(static_cast<unsigned char>(text[start]))) ++start;
    text = text.substr(start);
    if (text.empty()) {
      out += "\n";
      continue;
    }
    auto a = core::Address::parse(text);
    if (!a) {
      std::cerr << fmt::format(
          "iotcensus anonymize: standard input line {}: '{}' is not an IPv4 or IPv6 address\n",
          line_no, text);
      ++bad;
      out += "\n";
      continue;
    }
    core::Address p = a->is_v4() ? core::Address::from_v4(pan->anonymize_v4(a->v4()))
                                 : core::Address::from_bytes(pan->anonymize_v6(a->bytes()));
    out += p.to_string();
    out += "\n";
    if (out.size() > (1 << 16)) {
      std::cout << out;
      out.clear();
    }
  }
  std::cout << out << std::flush;
  return bad == 0 ? 0 : 1;
}

int run_keygen(const std::string& path) {
  auto key = privacy::create_key_file(path);
  if (!key) {
    std::cerr << "iotcensus keygen: " << key.error().message << "\n";
    return 1;
  }
  std::cerr << fmt::format(
      "iotcensus keygen: wrote a new Crypto-PAn key to {} (mode 0600, fingerprint {})\n", path,
      privacy::key_fingerprint(key.value()));
  return 0;
}

}  // namespace

Command add_anonymize_command(CLI::App& app) {
  auto o = std::make_shared<AnonymizeOptions>();
  auto* sub = app.add_subcommand(
      "anonymize", "Map IPv4/IPv6 addresses (one per line on stdin) to Crypto-PAn pseudonyms");
  auto* file = sub->add_option("--key", o->key_file, "Key file (64 hex digits or 32 raw bytes)");
  auto* hex = sub->add_option("--key-hex", o->key_hex, "The 32-byte key as 64 hex digits");
  file->excludes(hex);
  sub->callback([sub] {
    if (sub->count("--key") + sub->count("--key-hex") == 0) {
      throw CLI::RequiredError("--key or --key-hex");
    }
  });
  return {sub, [o] { return run_anonymize(*o); }};
}

Command add_keygen_command(CLI::App& app) {
  auto path = std::make_shared<std::string>();
  auto* sub = app.add_subcommand("keygen", "Write a new random Crypto-PAn key file (mode 0600)");
  sub->add_option("file", *path, "Key file to create (never overwritten)")->required();
  return {sub, [path] { return run_keygen(*path); }};
}

}  // namespace iotcensus::cli

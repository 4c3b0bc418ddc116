// Crypto-PAn key files: 32 bytes kept as 64 hex digits in a file of mode 0600, created on first
// use; a short fingerprint names a key in a store without revealing it.
#pragma once

#include <array>
#include <cstdint>
#include <string>

#include "core/error.h"

namespace iotcensus::privacy {

using Key = std::array<uint8_t, 32>;

// Reads a key file: 64 hex digits (whitespace ignored) or exactly 32 raw bytes.
core::Result<Key> read_key_file(const std::string& path);
// Parses 64 hex digits.
core::Result<Key> parse_key_text(const std::string& hex, const std::string& origin);
// Writes a new random key (OpenSSL RAND_bytes) to `path` with mode 0600; refuses to overwrite.
core::Result<Key> create_key_file(const std::string& path);
// The first 8 bytes of SHA-256(key) in hex: the same key always gives the same fingerprint.
std::string key_fingerprint(const Key& key);

}  // namespace iotcensus::privacy

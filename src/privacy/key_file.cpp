#include "privacy/key_file.h"

#include "privacy/crypto_pan.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

namespace iotcensus::privacy {

using core::ErrorCode;
using core::make_error;

core::Result<Key> parse_key_text(const std::string& text, const std::string& origin) {
  std::string error;
  auto key = parse_key_hex(text, &error);
  if (!key) return make_error(ErrorCode::kUsage, fmt::format("{}: {}", origin, error));
  return *key;
}

core::Result<Key> read_key_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return make_error(ErrorCode::kIo,
                      fmt::format("{}: cannot read key file: {}", path, strerror(errno)));
  }
  std::stringstream ss;
  ss << in.rdbuf();
  const std::string bytes = ss.str();
  if (bytes.size() == 32) {
    bool printable = true;
    for (char c : bytes) printable &= isxdigit(static_cast<unsigned char>(c)) != 0;
    if (!printable) {
      Key key{};
      std::memcpy(key.data(), bytes.data(), 32);
      return key;
    }
  }
  return parse_key_text(bytes, path);
}

core::Result<Key> create_key_file(const std::string& path) {
  Key key{};
  if (RAND_bytes(key.data(), static_cast<int>(key.size())) != 1) {
    return make_error(ErrorCode::kIo, "cannot draw random bytes for a key (OpenSSL RAND_bytes)");
  }
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) {
    return make_error(ErrorCode::kIo,
                      fmt::format("{}: cannot create key file: {}", path, strerror(errno)));
  }
  std::string text;
  for (uint8_t b : key) text += fmt::format("{:02x}", b);
  text += "\n";
  const bool ok = ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size()) &&
                  ::fchmod(fd, 0600) == 0 && ::fsync(fd) == 0;
  ::close(fd);
  if (!ok) {
    ::unlink(path.c_str());
    return make_error(ErrorCode::kIo, fmt::format("{}: cannot write key file", path));
  }
  return key;
}

std::string key_fingerprint(const Key& key) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int n = 0;
  EVP_Digest(key.data(), key.size(), digest, &n, EVP_sha256(), nullptr);
  std::string out;
  for (unsigned i = 0; i < 8 && i < n; ++i) out += fmt::format("{:02x}", digest[i]);
  return out;
}

}  // namespace iotcensus::privacy

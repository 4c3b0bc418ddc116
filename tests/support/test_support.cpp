#include "support/test_support.h"

#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace iotcensus::testing {

namespace fs = std::filesystem;

std::string shared_data() {
  if (const char* env = std::getenv("IOTCENSUS_SHARED_DATA")) return env;
  return IOTCENSUS_SHARED_DATA;
}

std::string source_dir() {
  return IOTCENSUS_SOURCE_DIR;
}

std::string iotcensus_bin() {
  if (const char* env = std::getenv("IOTCENSUS_BIN")) return env;
  return IOTCENSUS_BIN;
}

std::string quote(const std::string& arg) {
  std::string out = "'";
  for (char c : arg) {
    if (c == '\'')
      out += "'\\''";
    else
      out += c;
  }
  return out + "'";
}

CommandResult run(const std::string& command) {
  TempDir tmp;
  const std::string out_file = tmp.file("stdout");
  const std::string err_file = tmp.file("stderr");
  const std::string full =
      "(" + command + ") >" + quote(out_file) + " 2>" + quote(err_file) + " </dev/null";
  CommandResult r;
  const int status = std::system(full.c_str());
  if (status != -1 && WIFEXITED(status)) {
    r.exit_code = WEXITSTATUS(status);
    // The shell reports a child killed by a signal as 128 + signal.
    if (r.exit_code > 128 && r.exit_code < 160) {
      r.signal = r.exit_code - 128;
      r.exit_code = -1;
    }
  } else if (status != -1 && WIFSIGNALED(status)) {
    r.signal = WTERMSIG(status);
  }
  auto slurp = [](const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
  };
  r.out = slurp(out_file);
  r.err = slurp(err_file);
  return r;
}

std::vector<std::string> files_under(const std::string& dir) {
  std::vector<std::string> out;
  for (const auto& e : fs::recursive_directory_iterator(dir)) {
    if (e.is_regular_file()) out.push_back(e.path().string());
  }
  std::sort(out.begin(), out.end());
  return out;
}

bool has_tool(const std::string& name) {
  return run("command -v " + quote(name)).exit_code == 0;
}

TempDir::TempDir() {
  std::string tmpl = (fs::temp_directory_path() / "iotcensus-test-XXXXXX").string();
  char* p = mkdtemp(tmpl.data());
  path_ = p ? p : "";
}

TempDir::~TempDir() {
  std::error_code ec;
  if (!path_.empty()) fs::remove_all(path_, ec);
}

std::vector<std::string> lines(const std::string& text) {
  std::vector<std::string> out;
  std::stringstream ss(text);
  std::string line;
  while (std::getline(ss, line)) out.push_back(line);
  return out;
}

std::vector<std::string> split(const std::string& line, char sep) {
  std::vector<std::string> out;
  std::string cur;
  for (char c : line) {
    if (c == sep) {
      out.push_back(cur);
      cur.clear();
    } else {
      cur += c;
    }
  }
  out.push_back(cur);
  return out;
}

}  // namespace iotcensus::testing

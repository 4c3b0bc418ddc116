// Helpers shared by the tests: where the shared data and the built CLI are, running a command
// and capturing its output and exit status, temporary folders that clean up after themselves.
#pragma once

#include <string>
#include <vector>

namespace iotcensus::testing {

// ../shared/data (from $IOTCENSUS_SHARED_DATA or the build's default).
std::string shared_data();
// The source tree root (for tests/fixtures and rules/).
std::string source_dir();
// The built iotcensus binary (from $IOTCENSUS_BIN or the build's default).
std::string iotcensus_bin();

struct CommandResult {
  int exit_code = -1;  // -1: did not exit normally (signal)
  int signal = 0;
  std::string out;  // standard output
  std::string err;  // standard error
};
// Runs `command` with /bin/sh -c; captures stdout and stderr separately.
CommandResult run(const std::string& command);

// Shell-quotes one argument.
std::string quote(const std::string& arg);

// Every regular file under `dir` (recursive), sorted.
std::vector<std::string> files_under(const std::string& dir);

bool has_tool(const std::string& name);

// A fresh temporary folder removed (recursively) on destruction.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::string& path() const { return path_; }
  std::string file(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

// Splits text into lines (without the newline) and a line into tab-separated fields.
std::vector<std::string> lines(const std::string& text);
std::vector<std::string> split(const std::string& line, char sep);

}  // namespace iotcensus::testing

// CSV fields for the analysis loaders; see csv_record.h.
#include "analyze/csv_record.h"

#include <cerrno>
#include <cmath>
#include <cstdlib>

namespace iotcensus::analyze {

std::vector<std::string> split_csv(const std::string& line) {
  std::vector<std::string> fields;
  std::string field;
  bool quoted = false;
  for (std::size_t i = 0; i < line.size(); ++i) {
    const char c = line[i];
    if (quoted) {
      if (c == '"') {
        if (i + 1 < line.size() && line[i + 1] == '"') {
          field += '"';
          ++i;
        } else {
          quoted = false;
        }
      } else {
        field += c;
      }
    } else if (c == '"') {
      quoted = true;
    } else if (c == ',') {
      fields.push_back(std::move(field));
      field.clear();
    } else {
      field += c;
    }
  }
  fields.push_back(std::move(field));
  return fields;
}

std::string trim(const std::string& s) {
  const auto first = s.find_first_not_of(" \t\r");
  if (first == std::string::npos) return "";
  const auto last = s.find_last_not_of(" \t\r");
  return s.substr(first, last - first + 1);
}

bool is_missing(const std::string& s) {
  return s.empty() || s == "NA" || s == "NaN";
}

std::optional<double> parse_number(const std::string& s) {
  errno = 0;
  char* end = nullptr;
  const double v = std::strtod(s.c_str(), &end);
  if (end == s.c_str() || *end != '\0' || errno == ERANGE || !std::isfinite(v)) return std::nullopt;
  return v;
}

core::Result<CsvFile> open_csv(const std::string& path) {
  CsvFile f;
  f.in.open(path);
  if (!f.in) return core::make_error(core::ErrorCode::kIo, path + ": cannot open file");
  std::string line;
  if (!std::getline(f.in, line)) {
    return core::make_error(core::ErrorCode::kUsage, path + ": empty file (no header row)");
  }
  f.header = split_csv(line);
  for (auto& h : f.header) h = trim(h);
  return f;
}

}  // namespace iotcensus::analyze

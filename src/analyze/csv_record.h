// The CSV field rules the analysis loaders share (survival data sets, daily series): one record
// split into fields with double quotes honoured, trimming, R's missing-value spellings, numbers.
#pragma once

#include <fstream>
#include <optional>
#include <string>
#include <vector>

#include "core/error.h"

namespace iotcensus::analyze {

// Splits one CSV record. Handles double-quoted fields with "" escapes; no embedded newlines.
std::vector<std::string> split_csv(const std::string& line);
// Without leading and trailing spaces, tabs and carriage returns.
std::string trim(const std::string& s);
// Empty, `NA` or `NaN` (what R's write.csv writes for missing values).
bool is_missing(const std::string& s);
// The whole field as a finite number, or nothing.
std::optional<double> parse_number(const std::string& s);

// A CSV file opened for reading past its header row, with the header's fields trimmed. Errors
// name the file: kIo when it cannot be opened, kUsage when it has no header row.
struct CsvFile {
  std::ifstream in;
  std::vector<std::string> header;
};
core::Result<CsvFile> open_csv(const std::string& path);

}  // namespace iotcensus::analyze

// Turns census rows from the store into text for people (an aligned table) and for programs
// (CSV with a header row, JSON); the formats are documented in docs/formats.md.
#pragma once

#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "report/publication.h"
#include "store/census_store.h"

namespace iotcensus::report {

enum class Format { kTable, kCsv, kJson };
// "table", "csv" or "json"; nullopt for anything else.
std::optional<Format> parse_format(const std::string& name);

struct CensusReport {
  int64_t bin_width_s = 86400;
  std::optional<store::AddressPolicy> addresses;  // none: nothing ingested yet
  PublicationNotes publication;                   // k and what it suppressed
  std::vector<store::CensusRow> rows;
  std::vector<store::FlagRow> flags;
  std::vector<store::CaptureRecord> captures;
};

// Day-or-coarser bins print as YYYY-MM-DD, finer ones as ISO 8601 with time.
std::string format_bin(int64_t bin_start, int64_t bin_width_s);

void write_census(std::ostream& out, const CensusReport& report, Format format);

}  // namespace iotcensus::report

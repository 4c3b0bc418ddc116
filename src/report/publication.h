// Rules for publishing a census: cells backed by fewer than k distinct sources are suppressed
// (k-anonymity), and every report states how addresses were anonymized (RFC 6235 style).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "store/census_store.h"

namespace iotcensus::report {

inline constexpr uint32_t kDefaultK = 10;

struct PublicationNotes {
  uint32_t k = kDefaultK;
  size_t suppressed_rows = 0;
  size_t suppressed_flags = 0;
};

// Marks rows and flags with fewer than k distinct sources as suppressed and zeroes their numbers
// (k <= 1 suppresses nothing).
PublicationNotes apply_k_anonymity(std::vector<store::CensusRow>& rows,
                                   std::vector<store::FlagRow>& flags, uint32_t k);

// One field of RFC 6235's anonymization metadata, as text for people and JSON.
struct AnonymizationField {
  std::string field;
  std::string technique;
  std::string stability;
  std::string granularity;
};
std::vector<AnonymizationField> anonymization_metadata(
    const std::optional<store::AddressPolicy>& policy);

}  // namespace iotcensus::report

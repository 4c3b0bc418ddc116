#include "report/publication.h"

namespace iotcensus::report {

PublicationNotes apply_k_anonymity(std::vector<store::CensusRow>& rows,
                                   std::vector<store::FlagRow>& flags, uint32_t k) {
  PublicationNotes notes;
  notes.k = k;
  for (auto& r : rows) {
    if (r.sources < k) {
      const int64_t bin = r.bin_start;
      std::string cls = std::move(r.class_name);
      r = store::CensusRow{};
      r.bin_start = bin;
      r.class_name = std::move(cls);
      r.suppressed = true;
      ++notes.suppressed_rows;
    }
  }
  for (auto& f : flags) {
    if (f.sources < k) {
      f.packets = 0;
      f.sources = 0;
      f.suppressed = true;
      ++notes.suppressed_flags;
    }
  }
  return notes;
}

std::vector<AnonymizationField> anonymization_metadata(
    const std::optional<store::AddressPolicy>& policy) {
  std::vector<AnonymizationField> out;
  if (!policy || policy->mode == "raw") {
    out.push_back({"source address", "none: real addresses (--raw-addresses)", "not applicable",
                   "full address"});
  } else {
    out.push_back({"source address",
                   "Crypto-PAn prefix-preserving pseudonymization (Xu, Fan, Ammar, Moon 2002), "
                   "AES-128; IPv6 by the same algorithm over 128 bits",
                   "stable across captures and runs for key fingerprint " +
                       policy->key_fingerprint + "; unlinkable under another key",
                   "one-to-one; a common prefix of n bits stays a common prefix of n bits"});
  }
  out.push_back({"destination address", "not stored", "not applicable", "none"});
  out.push_back({"source port", "aggregated: only distinct counts per bin and class are kept",
                 "not applicable", "count"});
  out.push_back({"timestamps", "aggregated into bins; per source only first and last seen",
                 "not applicable", "bin width (report) or nanosecond (first/last seen)"});
  return out;
}

}  // namespace iotcensus::report

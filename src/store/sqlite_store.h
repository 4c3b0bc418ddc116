// The default store: one SQLite file (census.db) with a schema version and migrations. Each
// capture is merged in one transaction, keyed by content hash, so a failed or repeated ingest
// leaves the census as it was.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "core/error.h"
#include "store/census_store.h"

struct sqlite3;

namespace iotcensus::store {

class SqliteStore {
 public:
  // Opens or creates the store. A new store takes `base_bin_width_s`; an existing one keeps its
  // own (see base_bin_width_s()). Migrates older schemas; refuses newer ones.
  static core::Result<SqliteStore> open(const std::string& path, int64_t base_bin_width_s = 3600);
  // Opens an existing store only (for reports): a missing file is an error, not a new store.
  static core::Result<SqliteStore> open_existing(const std::string& path);
  SqliteStore(SqliteStore&&) noexcept;
  SqliteStore& operator=(SqliteStore&&) noexcept;
  ~SqliteStore();

  int64_t base_bin_width_s() const { return base_bin_width_s_; }
  const std::string& path() const { return path_; }

  // The capture with this content hash, if it was ingested before.
  core::Result<std::optional<CaptureRecord>> find_capture(const std::string& content_hash);
  // Adds a capture and its tallies in one transaction; kDuplicate if the hash is present, kStore
  // if the store's address policy (set by its first ingest) differs from `policy`.
  core::Status ingest(const CaptureRecord& capture, const tally::TallySet& tallies,
                      const AddressPolicy& policy);
  // The policy of the captures stored so far (none before the first ingest).
  core::Result<std::optional<AddressPolicy>> address_policy();

  core::Result<std::vector<CensusRow>> census(const CensusQuery& query);
  core::Result<std::vector<FlagRow>> flags(const CensusQuery& query);
  core::Result<std::vector<ClassRow>> classes();
  core::Result<std::vector<CaptureRecord>> captures();
  core::Result<std::vector<SourceRow>> sources(const std::optional<std::string>& class_name,
                                               size_t limit);
  // Every (UTC day, class, source) of the store (of one class when given), in day, class and
  // source order, rows of a finer base width merged per day.
  core::Status for_each_source_day(const std::optional<std::string>& class_name,
                                   const std::function<void(const SourceDay&)>& fn);
  // The UTC days (midnight, Unix seconds) with any recorded request, in order.
  core::Result<std::vector<int64_t>> days_with_data();

 private:
  SqliteStore() = default;
  core::Status exec(const char* sql);
  core::Status migrate();
  core::Error error(const std::string& what) const;

  sqlite3* db_ = nullptr;
  std::string path_;
  int64_t base_bin_width_s_ = 3600;
};

}  // namespace iotcensus::store

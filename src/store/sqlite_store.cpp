#include "store/sqlite_store.h"

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <sqlite3.h>
#include <sys/stat.h>

#include <algorithm>
#include <cstring>
#include <map>
#include <optional>
#include <unordered_map>
#include <vector>

#include "classify/cadence.h"

namespace iotcensus::store {

using core::ErrorCode;
using core::make_error;

namespace {

// Version n's migration takes a store from version n-1 to n.
const char* const kMigrations[] = {
    // 1: the first schema
    R"sql(
CREATE TABLE meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE captures(
  content_hash TEXT PRIMARY KEY,
  path TEXT NOT NULL,
  size INTEGER NOT NULL,
  records INTEGER NOT NULL,
  ntp_packets INTEGER NOT NULL,
  first_ns INTEGER,
  last_ns INTEGER,
  ingested_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ','now')));
CREATE TABLE classes(
  id INTEGER PRIMARY KEY,
  name TEXT NOT NULL UNIQUE,
  kind TEXT NOT NULL,
  description TEXT NOT NULL DEFAULT '');
CREATE TABLE bin_tally(
  bin_start INTEGER NOT NULL,
  class_id INTEGER NOT NULL REFERENCES classes(id),
  packets INTEGER NOT NULL,
  bytes INTEGER NOT NULL,
  evidence_packets INTEGER NOT NULL,
  PRIMARY KEY(bin_start, class_id)) WITHOUT ROWID;
CREATE TABLE bin_source(
  bin_start INTEGER NOT NULL,
  class_id INTEGER NOT NULL,
  source BLOB NOT NULL,
  packets INTEGER NOT NULL,
  PRIMARY KEY(bin_start, class_id, source)) WITHOUT ROWID;
CREATE TABLE bin_port(
  bin_start INTEGER NOT NULL,
  class_id INTEGER NOT NULL,
  port INTEGER NOT NULL,
  PRIMARY KEY(bin_start, class_id, port)) WITHOUT ROWID;
CREATE TABLE bin_flag(
  bin_start INTEGER NOT NULL,
  class_id INTEGER NOT NULL,
  flag_id INTEGER NOT NULL,
  source BLOB NOT NULL,
  packets INTEGER NOT NULL,
  PRIMARY KEY(bin_start, class_id, flag_id, source)) WITHOUT ROWID;
CREATE TABLE sources(
  source BLOB NOT NULL,
  class_id INTEGER NOT NULL,
  first_ns INTEGER NOT NULL,
  last_ns INTEGER NOT NULL,
  packets INTEGER NOT NULL,
  bytes INTEGER NOT NULL,
  cadence BLOB NOT NULL,
  PRIMARY KEY(source, class_id)) WITHOUT ROWID;
)sql",
    // 2: per (bin, class, source) its first and last request and the devices behind it
    // (tally/device_split.h). Rows of version 1 keep NULL times and count as one device.
    R"sql(
ALTER TABLE bin_source ADD COLUMN first_ns INTEGER;
ALTER TABLE bin_source ADD COLUMN last_ns INTEGER;
ALTER TABLE bin_source ADD COLUMN devices_low INTEGER NOT NULL DEFAULT 1;
ALTER TABLE bin_source ADD COLUMN devices INTEGER NOT NULL DEFAULT 1;
ALTER TABLE bin_source ADD COLUMN devices_high INTEGER NOT NULL DEFAULT 1;
ALTER TABLE bin_source ADD COLUMN interval_ns INTEGER NOT NULL DEFAULT 0;
ALTER TABLE bin_source ADD COLUMN anchor_ns INTEGER NOT NULL DEFAULT 0;
)sql",
    // 3: flags per (bin, class, source) as a set of flags (one row where version 2 wrote one a
    // flag: four for every Netgear source). A set's `flags` is its flag ids (classes.id), in
    // ascending order, comma-separated; version 2 rows become rows of one-flag sets.
    R"sql(
CREATE TABLE flag_set(
  id INTEGER PRIMARY KEY,
  flags TEXT NOT NULL UNIQUE);
CREATE TABLE flag_set_member(
  set_id INTEGER NOT NULL REFERENCES flag_set(id),
  flag_id INTEGER NOT NULL REFERENCES classes(id),
  PRIMARY KEY(set_id, flag_id)) WITHOUT ROWID;
CREATE TABLE bin_flag_set(
  bin_start INTEGER NOT NULL,
  class_id INTEGER NOT NULL,
  source BLOB NOT NULL,
  set_id INTEGER NOT NULL REFERENCES flag_set(id),
  packets INTEGER NOT NULL,
  PRIMARY KEY(bin_start, class_id, source, set_id)) WITHOUT ROWID;
INSERT INTO flag_set(flags) SELECT DISTINCT CAST(flag_id AS TEXT) FROM bin_flag;
INSERT INTO flag_set_member(set_id, flag_id) SELECT id, CAST(flags AS INTEGER) FROM flag_set;
INSERT INTO bin_flag_set(bin_start, class_id, source, set_id, packets)
  SELECT f.bin_start, f.class_id, f.source, s.id, f.packets
  FROM bin_flag f JOIN flag_set s ON s.flags = CAST(f.flag_id AS TEXT);
DROP TABLE bin_flag;
)sql",
};
constexpr int kLatest = sizeof(kMigrations) / sizeof(kMigrations[0]);
static_assert(kLatest == kSchemaVersion);

class Statement {
 public:
  Statement(sqlite3* db, const char* sql) {
    rc_ = sqlite3_prepare_v2(db, sql, -1, &stmt_, nullptr);
  }
  ~Statement() { sqlite3_finalize(stmt_); }
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;
  bool ok() const { return rc_ == SQLITE_OK; }
  sqlite3_stmt* get() { return stmt_; }
  Statement& bind(int i, int64_t v) {
    sqlite3_bind_int64(stmt_, i, v);
    return *this;
  }
  Statement& bind(int i, const std::string& v) {
    sqlite3_bind_text(stmt_, i, v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT);
    return *this;
  }
  // Not copied: `p` must stay valid until the statement is stepped (and reset).
  Statement& bind_blob(int i, const void* p, size_t n) {
    sqlite3_bind_blob(stmt_, i, p, static_cast<int>(n), SQLITE_STATIC);
    return *this;
  }
  int step() { return sqlite3_step(stmt_); }
  void reset() {
    sqlite3_reset(stmt_);
    sqlite3_clear_bindings(stmt_);
  }
  int64_t i64(int c) { return sqlite3_column_int64(stmt_, c); }
  double dbl(int c) { return sqlite3_column_double(stmt_, c); }
  std::string text(int c) {
    const unsigned char* t = sqlite3_column_text(stmt_, c);
    return t ? reinterpret_cast<const char*>(t) : "";
  }
  std::string blob(int c) {
    const void* p = sqlite3_column_blob(stmt_, c);
    return std::string(static_cast<const char*>(p),
                       static_cast<size_t>(sqlite3_column_bytes(stmt_, c)));
  }

 private:
  sqlite3_stmt* stmt_ = nullptr;
  int rc_ = SQLITE_ERROR;
};

// cadence_merge(a, b): sum of two 64-byte cadence histograms, used by the sources upsert.
void cadence_merge(sqlite3_context* ctx, int, sqlite3_value** argv) {
  std::array<uint8_t, classify::CadenceHistogram::kSerializedSize> a{}, b{};
  if (sqlite3_value_bytes(argv[0]) == static_cast<int>(a.size())) {
    std::memcpy(a.data(), sqlite3_value_blob(argv[0]), a.size());
  }
  if (sqlite3_value_bytes(argv[1]) == static_cast<int>(b.size())) {
    std::memcpy(b.data(), sqlite3_value_blob(argv[1]), b.size());
  }
  auto h = classify::CadenceHistogram::from_bytes(a);
  h.merge(classify::CadenceHistogram::from_bytes(b));
  const auto out = h.to_bytes();
  sqlite3_result_blob(ctx, out.data(), static_cast<int>(out.size()), SQLITE_TRANSIENT);
}

}  // namespace

SqliteStore::SqliteStore(SqliteStore&& o) noexcept
    : db_(o.db_), path_(std::move(o.path_)), base_bin_width_s_(o.base_bin_width_s_) {
  o.db_ = nullptr;
}

SqliteStore& SqliteStore::operator=(SqliteStore&& o) noexcept {
  if (this != &o) {
    if (db_) sqlite3_close(db_);
    db_ = o.db_;
    path_ = std::move(o.path_);
    base_bin_width_s_ = o.base_bin_width_s_;
    o.db_ = nullptr;
  }
  return *this;
}

SqliteStore::~SqliteStore() {
  if (db_) sqlite3_close(db_);
}

core::Error SqliteStore::error(const std::string& what) const {
  return make_error(ErrorCode::kStore, fmt::format("{}: {}: {}", path_, what,
                                                   db_ ? sqlite3_errmsg(db_) : "no database"));
}

core::Status SqliteStore::exec(const char* sql) {
  char* msg = nullptr;
  if (sqlite3_exec(db_, sql, nullptr, nullptr, &msg) != SQLITE_OK) {
    std::string m = msg ? msg : "unknown error";
    sqlite3_free(msg);
    return make_error(ErrorCode::kStore, fmt::format("{}: {}", path_, m));
  }
  return core::Ok{};
}

core::Result<SqliteStore> SqliteStore::open_existing(const std::string& path) {
  struct stat st {};
  if (stat(path.c_str(), &st) != 0) {
    return make_error(ErrorCode::kStore,
                      fmt::format("{}: no store here (run 'iotcensus ingest' first)", path));
  }
  return open(path);
}

core::Result<SqliteStore> SqliteStore::open(const std::string& path, int64_t base_bin_width_s) {
  SqliteStore s;
  s.path_ = path;
  // No mutexes: a store is used by one thread at a time.
  if (sqlite3_open_v2(path.c_str(), &s.db_,
                      SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
                      nullptr) != SQLITE_OK) {
    return s.error("cannot open store");
  }
  sqlite3_busy_timeout(s.db_, 10000);
  sqlite3_create_function(s.db_, "cadence_merge", 2, SQLITE_UTF8 | SQLITE_DETERMINISTIC, nullptr,
                          cadence_merge, nullptr, nullptr);
  if (auto st =
          s.exec("PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;");
      !st) {
    return make_error(ErrorCode::kStore,
                      fmt::format("{}: not a usable SQLite store ({})", path, st.error().message));
  }
  s.base_bin_width_s_ = base_bin_width_s;
  if (auto st = s.migrate(); !st) return st.error();
  return s;
}

core::Status SqliteStore::migrate() {
  if (auto st = exec("BEGIN IMMEDIATE"); !st) return st;
  int version = 0;
  {
    Statement q(db_, "PRAGMA user_version");
    if (q.ok() && q.step() == SQLITE_ROW) version = static_cast<int>(q.i64(0));
  }
  if (version > kLatest) {
    exec("ROLLBACK");
    return make_error(ErrorCode::kStore,
                      fmt::format("{}: store schema version {} is newer than this iotcensus ({})",
                                  path_, version, kLatest));
  }
  if (version == 0) {
    // A brand-new file must be empty: never take over someone else's SQLite database.
    Statement q(db_, "SELECT count(*) FROM sqlite_master");
    if (q.ok() && q.step() == SQLITE_ROW && q.i64(0) != 0) {
      exec("ROLLBACK");
      return make_error(
          ErrorCode::kStore,
          fmt::format("{}: an SQLite database that is not an iotcensus store", path_));
    }
  }
  for (int v = version; v < kLatest; ++v) {
    if (auto st = exec(kMigrations[v]); !st) {
      exec("ROLLBACK");
      return st;
    }
  }
  if (version == 0) {
    Statement ins(db_, "INSERT INTO meta(key, value) VALUES('base_bin_width_s', ?1)");
    ins.bind(1, std::to_string(base_bin_width_s_));
    if (ins.step() != SQLITE_DONE) {
      exec("ROLLBACK");
      return error("cannot write meta");
    }
  }
  if (version != kLatest) {
    if (auto st = exec(fmt::format("PRAGMA user_version={}", kLatest).c_str()); !st) {
      exec("ROLLBACK");
      return st;
    }
  }
  {
    Statement q(db_, "SELECT value FROM meta WHERE key='base_bin_width_s'");
    if (q.ok() && q.step() == SQLITE_ROW) base_bin_width_s_ = std::stoll(q.text(0));
  }
  return exec("COMMIT");
}

core::Result<std::optional<CaptureRecord>> SqliteStore::find_capture(const std::string& hash) {
  Statement q(db_,
              "SELECT path, size, records, ntp_packets, first_ns, last_ns FROM captures "
              "WHERE content_hash=?1");
  if (!q.ok()) return error("cannot query captures");
  q.bind(1, hash);
  if (q.step() != SQLITE_ROW) return std::optional<CaptureRecord>{};
  CaptureRecord r;
  r.content_hash = hash;
  r.path = q.text(0);
  r.size = static_cast<uint64_t>(q.i64(1));
  r.records = static_cast<uint64_t>(q.i64(2));
  r.ntp_packets = static_cast<uint64_t>(q.i64(3));
  r.first_ns = q.i64(4);
  r.last_ns = q.i64(5);
  return std::optional<CaptureRecord>{r};
}

core::Result<std::optional<AddressPolicy>> SqliteStore::address_policy() {
  Statement q(db_,
              "SELECT (SELECT value FROM meta WHERE key='address_mode'), "
              "(SELECT value FROM meta WHERE key='key_fingerprint')");
  if (!q.ok() || q.step() != SQLITE_ROW) return error("cannot read address policy");
  if (sqlite3_column_type(q.get(), 0) == SQLITE_NULL) return std::optional<AddressPolicy>{};
  return std::optional<AddressPolicy>{AddressPolicy{q.text(0), q.text(1)}};
}

core::Status SqliteStore::ingest(const CaptureRecord& capture, const tally::TallySet& t,
                                 const AddressPolicy& policy) {
  if (t.bin_width_s != base_bin_width_s_) {
    return make_error(ErrorCode::kStore,
                      fmt::format("{}: tallies binned at {} s but the store keeps {} s bins", path_,
                                  t.bin_width_s, base_bin_width_s_));
  }
  if (auto st = exec("BEGIN IMMEDIATE"); !st) return st;
  auto fail = [&](const std::string& what) -> core::Status {
    core::Error e = error(what);
    exec("ROLLBACK");
    return e;
  };
  {
    auto current = address_policy();
    if (!current) return fail("cannot read address policy");
    if (!current.value()) {
      Statement ins(
          db_, "INSERT INTO meta(key, value) VALUES('address_mode', ?1), ('key_fingerprint', ?2)");
      ins.bind(1, policy.mode).bind(2, policy.key_fingerprint);
      if (ins.step() != SQLITE_DONE) return fail("cannot record address policy");
    } else if (!(*current.value() == policy)) {
      exec("ROLLBACK");
      return make_error(
          ErrorCode::kStore,
          fmt::format(
              "{}: this store holds {}; this ingest would write {}. Mixing them would count "
              "devices twice: use the store's own key (or --raw-addresses), or a new store",
              path_, current.value()->describe(), policy.describe()));
    }
  }
  {
    Statement ins(db_,
                  "INSERT INTO captures(content_hash, path, size, records, ntp_packets, first_ns, "
                  "last_ns) VALUES(?1,?2,?3,?4,?5,?6,?7) ON CONFLICT DO NOTHING");
    ins.bind(1, capture.content_hash).bind(2, capture.path);
    ins.bind(3, static_cast<int64_t>(capture.size)).bind(4, static_cast<int64_t>(capture.records));
    ins.bind(5, static_cast<int64_t>(capture.ntp_packets));
    ins.bind(6, capture.first_ns).bind(7, capture.last_ns);
    if (ins.step() != SQLITE_DONE) return fail("cannot record capture");
    if (sqlite3_changes(db_) == 0) {
      exec("ROLLBACK");
      return make_error(ErrorCode::kDuplicate,
                        fmt::format("{}: already ingested (same content)", capture.path));
    }
  }
  // Class and flag names -> ids in this store.
  auto ids_for = [&](const std::vector<std::string>& names, const char* kind,
                     std::vector<int64_t>& ids) -> bool {
    Statement ins(db_,
                  "INSERT INTO classes(name, kind) VALUES(?1, ?2) ON CONFLICT(name) DO NOTHING");
    Statement sel(db_, "SELECT id FROM classes WHERE name=?1");
    for (const auto& n : names) {
      ins.bind(1, n).bind(2, std::string(kind));
      if (ins.step() != SQLITE_DONE) return false;
      ins.reset();
      sel.bind(1, n);
      if (sel.step() != SQLITE_ROW) return false;
      ids.push_back(sel.i64(0));
      sel.reset();
    }
    return true;
  };
  std::vector<int64_t> class_ids, flag_ids;
  if (!ids_for(t.class_names, "class", class_ids) || !ids_for(t.flag_names, "flag", flag_ids)) {
    return fail("cannot record classes");
  }
  {
    Statement up(
        db_,
        "INSERT INTO bin_tally(bin_start, class_id, packets, bytes, evidence_packets) "
        "VALUES(?1,?2,?3,?4,?5) ON CONFLICT DO UPDATE SET packets=packets+excluded.packets,"
        " bytes=bytes+excluded.bytes, evidence_packets=evidence_packets+excluded.evidence_packets");
    for (const auto& r : t.totals) {
      up.bind(1, r.bin_start).bind(2, class_ids[r.class_id]);
      up.bind(3, static_cast<int64_t>(r.packets)).bind(4, static_cast<int64_t>(r.bytes));
      up.bind(5, static_cast<int64_t>(r.evidence_packets));
      if (up.step() != SQLITE_DONE) return fail("cannot write bin tallies");
      up.reset();
    }
  }
  {
    Statement up(db_,
                 "INSERT INTO bin_source(bin_start, class_id, source, packets, first_ns, last_ns, "
                 "devices_low, devices, devices_high, interval_ns, anchor_ns) "
                 "VALUES(?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11) "
                 "ON CONFLICT DO UPDATE SET packets=packets+excluded.packets, "
                 "first_ns=min(coalesce(first_ns, excluded.first_ns), excluded.first_ns), "
                 "last_ns=max(coalesce(last_ns, excluded.last_ns), excluded.last_ns), "
                 "devices_low=max(devices_low, excluded.devices_low), "
                 "devices=max(devices, excluded.devices), "
                 "devices_high=max(devices_high, excluded.devices_high), "
                 "interval_ns=CASE WHEN interval_ns=0 OR (excluded.interval_ns<>0 AND "
                 "excluded.anchor_ns>anchor_ns) THEN excluded.interval_ns ELSE interval_ns END, "
                 "anchor_ns=CASE WHEN interval_ns=0 OR (excluded.interval_ns<>0 AND "
                 "excluded.anchor_ns>anchor_ns) THEN excluded.anchor_ns ELSE anchor_ns END");
    for (const auto& r : t.bin_sources) {
      auto b = r.source.bytes();
      up.bind(1, r.bin_start).bind(2, class_ids[r.class_id]).bind_blob(3, b.data(), b.size());
      up.bind(4, static_cast<int64_t>(r.packets)).bind(5, r.first_ns).bind(6, r.last_ns);
      up.bind(7, int64_t{r.devices_low}).bind(8, int64_t{r.devices});
      up.bind(9, int64_t{r.devices_high}).bind(10, r.interval_ns).bind(11, r.anchor_ns);
      if (up.step() != SQLITE_DONE) return fail("cannot write bin sources");
      up.reset();
    }
  }
  {
    Statement up(db_,
                 "INSERT INTO bin_port(bin_start, class_id, port) VALUES(?1,?2,?3) "
                 "ON CONFLICT DO NOTHING");
    for (const auto& r : t.bin_ports) {
      up.bind(1, r.bin_start).bind(2, class_ids[r.class_id]).bind(3, int64_t{r.port});
      if (up.step() != SQLITE_DONE) return fail("cannot write bin ports");
      up.reset();
    }
  }
  {
    // One row per source and set of flags, as the tally makes them; each distinct set of the
    // capture is looked up (or added) once.
    Statement up(
        db_,
        "INSERT INTO bin_flag_set(bin_start, class_id, source, set_id, packets) "
        "VALUES(?1,?2,?3,?4,?5) ON CONFLICT DO UPDATE SET packets=packets+excluded.packets");
    Statement set_ins(db_, "INSERT INTO flag_set(flags) VALUES(?1) ON CONFLICT(flags) DO NOTHING");
    Statement set_sel(db_, "SELECT id FROM flag_set WHERE flags=?1");
    Statement member_ins(db_,
                         "INSERT INTO flag_set_member(set_id, flag_id) VALUES(?1,?2) "
                         "ON CONFLICT DO NOTHING");
    std::unordered_map<uint64_t, int64_t> set_ids;  // TallySet flag bits -> flag_set.id
    auto set_id_of = [&](uint64_t bits) -> std::optional<int64_t> {
      if (auto it = set_ids.find(bits); it != set_ids.end()) return it->second;
      std::vector<int64_t> members;
      for (uint64_t m = bits; m != 0; m &= m - 1) {
        const auto flag = static_cast<size_t>(__builtin_ctzll(m));
        if (flag >= flag_ids.size()) return std::nullopt;
        members.push_back(flag_ids[flag]);
      }
      std::sort(members.begin(), members.end());
      const std::string key = fmt::format("{}", fmt::join(members, ","));
      set_ins.bind(1, key);
      if (set_ins.step() != SQLITE_DONE) return std::nullopt;
      set_ins.reset();
      set_sel.bind(1, key);
      if (set_sel.step() != SQLITE_ROW) return std::nullopt;
      const int64_t id = set_sel.i64(0);
      set_sel.reset();
      for (int64_t flag_id : members) {
        member_ins.bind(1, id).bind(2, flag_id);
        if (member_ins.step() != SQLITE_DONE) return std::nullopt;
        member_ins.reset();
      }
      set_ids.emplace(bits, id);
      return id;
    };
    for (const auto& r : t.bin_flags) {
      if (r.flags == 0) continue;  // raised no flag
      const auto set_id = set_id_of(r.flags);
      if (!set_id) return fail("cannot record a set of flags (or a flag row names no flag)");
      auto b = r.source.bytes();
      up.bind(1, r.bin_start).bind(2, class_ids[r.class_id]).bind_blob(3, b.data(), b.size());
      up.bind(4, *set_id).bind(5, static_cast<int64_t>(r.packets));
      if (up.step() != SQLITE_DONE) return fail("cannot write flags");
      up.reset();
    }
  }
  {
    Statement up(
        db_,
        "INSERT INTO sources(source, class_id, first_ns, last_ns, packets, bytes, cadence) "
        "VALUES(?1,?2,?3,?4,?5,?6,?7) ON CONFLICT DO UPDATE SET "
        "first_ns=min(first_ns, excluded.first_ns), last_ns=max(last_ns, excluded.last_ns),"
        " packets=packets+excluded.packets, bytes=bytes+excluded.bytes,"
        " cadence=cadence_merge(cadence, excluded.cadence)");
    for (const auto& r : t.sources) {
      auto b = r.source.bytes();
      up.bind_blob(1, b.data(), b.size()).bind(2, class_ids[r.class_id]);
      up.bind(3, r.first_ns).bind(4, r.last_ns);
      up.bind(5, static_cast<int64_t>(r.packets)).bind(6, static_cast<int64_t>(r.bytes));
      if (r.cadence >= t.cadences.size()) return fail("a source names no cadence histogram");
      const auto cadence = t.cadences[r.cadence].to_bytes();
      up.bind_blob(7, cadence.data(), cadence.size());
      if (up.step() != SQLITE_DONE) return fail("cannot write sources");
      up.reset();
    }
  }
  return exec("COMMIT");
}

core::Result<std::vector<CensusRow>> SqliteStore::census(const CensusQuery& query) {
  const int64_t w = query.bin_width_s;
  if (w <= 0 || w % base_bin_width_s_ != 0) {
    return make_error(ErrorCode::kUsage,
                      fmt::format("{}: bin width {} s is not a multiple of the store's {} s bins",
                                  path_, w, base_bin_width_s_));
  }
  const char* sql = R"sql(
WITH
t AS (SELECT bin_start - (bin_start % ?1) AS b, class_id, sum(packets) AS p, sum(bytes) AS y,
             sum(evidence_packets) AS e
      FROM bin_tally GROUP BY 1, 2),
s AS (SELECT bin_start - (bin_start % ?1) AS b, class_id, count(DISTINCT source) AS n,
             count(DISTINCT CASE WHEN substr(source,1,12)=x'00000000000000000000ffff'
                   THEN substr(source,1,15) END) AS p24,
             count(DISTINCT CASE WHEN substr(source,1,12)<>x'00000000000000000000ffff'
                   THEN substr(source,1,8) END) AS p64,
             count(DISTINCT CASE WHEN substr(source,1,12)<>x'00000000000000000000ffff'
                   THEN substr(source,1,6) END) AS p48
      FROM bin_source GROUP BY 1, 2),
p AS (SELECT bin_start - (bin_start % ?1) AS b, class_id, count(DISTINCT port) AS n
      FROM bin_port GROUP BY 1, 2)
SELECT t.b, c.name, t.p, t.y, coalesce(s.n,0), coalesce(s.p24,0), coalesce(s.p64,0),
       coalesce(s.p48,0), coalesce(p.n,0), t.e
FROM t JOIN classes c ON c.id = t.class_id
LEFT JOIN s ON s.b = t.b AND s.class_id = t.class_id
LEFT JOIN p ON p.b = t.b AND p.class_id = t.class_id
WHERE ?2 IS NULL OR c.name = ?2
ORDER BY t.b, c.name)sql";
  Statement q(db_, sql);
  if (!q.ok()) return error("cannot query census");
  q.bind(1, w);
  if (query.class_name) q.bind(2, *query.class_name);
  std::vector<CensusRow> rows;
  int rc;
  while ((rc = q.step()) == SQLITE_ROW) {
    CensusRow r;
    r.bin_start = q.i64(0);
    r.class_name = q.text(1);
    r.packets = static_cast<uint64_t>(q.i64(2));
    r.bytes = static_cast<uint64_t>(q.i64(3));
    r.sources = static_cast<uint64_t>(q.i64(4));
    r.prefixes24 = static_cast<uint64_t>(q.i64(5));
    r.prefixes64 = static_cast<uint64_t>(q.i64(6));
    r.prefixes48 = static_cast<uint64_t>(q.i64(7));
    r.source_ports = static_cast<uint64_t>(q.i64(8));
    r.evidence_packets = static_cast<uint64_t>(q.i64(9));
    r.packets_per_second = static_cast<double>(r.packets) / static_cast<double>(w);
    rows.push_back(std::move(r));
  }
  if (rc != SQLITE_DONE) return error("census query failed");
  return rows;
}

core::Result<std::vector<FlagRow>> SqliteStore::flags(const CensusQuery& query) {
  const int64_t w = query.bin_width_s;
  Statement q(db_,
              "SELECT f.bin_start - (f.bin_start % ?1), c.name, fl.name, sum(f.packets), "
              "count(DISTINCT f.source) FROM bin_flag_set f "
              "JOIN flag_set_member m ON m.set_id=f.set_id JOIN classes c ON c.id=f.class_id "
              "JOIN classes fl ON fl.id=m.flag_id WHERE ?2 IS NULL OR c.name=?2 "
              "GROUP BY 1, 2, 3 ORDER BY 1, 2, 3");
  if (!q.ok()) return error("cannot query flags");
  q.bind(1, w);
  if (query.class_name) q.bind(2, *query.class_name);
  std::vector<FlagRow> rows;
  while (q.step() == SQLITE_ROW) {
    rows.push_back(FlagRow{q.i64(0), q.text(1), q.text(2), static_cast<uint64_t>(q.i64(3)),
                           static_cast<uint64_t>(q.i64(4))});
  }
  return rows;
}

core::Result<std::vector<ClassRow>> SqliteStore::classes() {
  Statement q(
      db_,
      "SELECT c.name, c.kind, c.description, coalesce(sum(s.packets),0), count(s.source) "
      "FROM classes c LEFT JOIN sources s ON s.class_id=c.id GROUP BY c.id ORDER BY c.name");
  if (!q.ok()) return error("cannot query classes");
  std::vector<ClassRow> rows;
  while (q.step() == SQLITE_ROW) {
    rows.push_back(ClassRow{q.text(0), q.text(1), q.text(2), static_cast<uint64_t>(q.i64(3)),
                            static_cast<uint64_t>(q.i64(4))});
  }
  return rows;
}

core::Result<std::vector<CaptureRecord>> SqliteStore::captures() {
  Statement q(db_,
              "SELECT content_hash, path, size, records, ntp_packets, first_ns, last_ns FROM "
              "captures ORDER BY first_ns, path");
  if (!q.ok()) return error("cannot query captures");
  std::vector<CaptureRecord> rows;
  while (q.step() == SQLITE_ROW) {
    rows.push_back(CaptureRecord{q.text(0), q.text(1), static_cast<uint64_t>(q.i64(2)),
                                 static_cast<uint64_t>(q.i64(3)), static_cast<uint64_t>(q.i64(4)),
                                 q.i64(5), q.i64(6)});
  }
  return rows;
}

core::Result<std::vector<SourceRow>> SqliteStore::sources(
    const std::optional<std::string>& class_name, size_t limit) {
  Statement q(db_,
              "SELECT s.source, c.name, s.first_ns, s.last_ns, s.packets, s.cadence FROM sources s "
              "JOIN classes c ON c.id=s.class_id WHERE ?1 IS NULL OR c.name=?1 "
              "ORDER BY s.packets DESC, s.source LIMIT ?2");
  if (!q.ok()) return error("cannot query sources");
  if (class_name) q.bind(1, *class_name);
  q.bind(2, limit > static_cast<size_t>(INT64_MAX) ? int64_t{-1} : static_cast<int64_t>(limit));
  std::vector<SourceRow> rows;
  while (q.step() == SQLITE_ROW) {
    SourceRow r;
    std::string blob = q.blob(0);
    std::array<uint8_t, 16> b{};
    if (blob.size() == 16) std::memcpy(b.data(), blob.data(), 16);
    r.source = core::Address::from_bytes(b).to_string();
    r.class_name = q.text(1);
    r.first_ns = q.i64(2);
    r.last_ns = q.i64(3);
    r.packets = static_cast<uint64_t>(q.i64(4));
    std::string cad = q.blob(5);
    std::array<uint8_t, classify::CadenceHistogram::kSerializedSize> bytes{};
    if (cad.size() == bytes.size()) std::memcpy(bytes.data(), cad.data(), bytes.size());
    auto h = classify::CadenceHistogram::from_bytes(bytes);
    r.median_interval_s = h.median_s();
    r.spread_octaves = h.spread_octaves();
    r.intervals = static_cast<uint32_t>(std::min<uint64_t>(h.estimated_intervals(), UINT32_MAX));
    rows.push_back(std::move(r));
  }
  return rows;
}

core::Status SqliteStore::for_each_source_day(const std::optional<std::string>& class_name,
                                              const std::function<void(const SourceDay&)>& fn) {
  // Rows of a store with a finer base width are merged per day as two captures' rows are.
  const std::string order = base_bin_width_s_ == 86400 ? "b.bin_start, b.class_id, b.source"
                                                       : "day, b.class_id, b.source, b.bin_start";
  Statement q(db_, fmt::format("SELECT (b.bin_start / 86400) * 86400 AS day, b.class_id, c.name, "
                               "b.source, b.packets, b.first_ns, b.last_ns, b.devices_low, "
                               "b.devices, b.devices_high, b.interval_ns, b.anchor_ns "
                               "FROM bin_source b JOIN classes c ON c.id=b.class_id "
                               "WHERE ?1 IS NULL OR c.name=?1 ORDER BY {}",
                               order)
                       .c_str());
  if (!q.ok()) return error("cannot query sources per day");
  if (class_name) q.bind(1, *class_name);
  SourceDay r;
  int64_t class_id = -1;
  std::string source;
  bool have = false;
  int rc;
  while ((rc = q.step()) == SQLITE_ROW) {
    const int64_t day = q.i64(0);
    const int64_t cls = q.i64(1);
    std::string blob = q.blob(3);
    const bool timed = sqlite3_column_type(q.get(), 5) != SQLITE_NULL;
    SourceDay x;
    x.packets = static_cast<uint64_t>(q.i64(4));
    x.first_ns = timed ? q.i64(5) : day * 1'000'000'000;
    x.last_ns = timed ? q.i64(6) : x.first_ns;
    x.timed = timed;
    x.devices_low = static_cast<uint32_t>(q.i64(7));
    x.devices = static_cast<uint32_t>(q.i64(8));
    x.devices_high = static_cast<uint32_t>(q.i64(9));
    x.interval_ns = q.i64(10);
    x.anchor_ns = x.interval_ns != 0 ? q.i64(11) : x.last_ns;
    if (have && day == r.day_s && cls == class_id && blob == source) {
      core::merge_source_rows(r, x);
      r.timed = r.timed && x.timed;
      continue;
    }
    if (have) fn(r);
    r = x;
    r.day_s = day;
    r.class_name = q.text(2);
    std::array<uint8_t, 16> b{};
    if (blob.size() == 16) std::memcpy(b.data(), blob.data(), 16);
    r.source = core::Address::from_bytes(b);
    class_id = cls;
    source = std::move(blob);
    have = true;
  }
  if (rc != SQLITE_DONE) return error("cannot read sources per day");
  if (have) fn(r);
  return core::Ok{};
}

core::Result<std::vector<int64_t>> SqliteStore::days_with_data() {
  Statement q(db_, "SELECT DISTINCT (bin_start / 86400) * 86400 FROM bin_tally ORDER BY 1");
  if (!q.ok()) return error("cannot query days");
  std::vector<int64_t> days;
  while (q.step() == SQLITE_ROW) days.push_back(q.i64(0));
  return days;
}

}  // namespace iotcensus::store

// Tests the SQLite store: schema creation and version checks, merging tallies of captures that
// overlap in time, refusing duplicates, and leaving the store untouched when an ingest fails.
#include "store/sqlite_store.h"

#include <gtest/gtest.h>
#include <sqlite3.h>

#include <fstream>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "support/test_support.h"

namespace iotcensus::store {
namespace {

constexpr int64_t kHour = 1052913600;  // 2003-05-14T12:00:00Z
const AddressPolicy kRaw{"raw", ""};

tally::TallySet tallies(const std::vector<std::pair<int64_t, std::string>>& bin_sources) {
  tally::TallySet t;
  t.bin_width_s = 3600;
  t.class_names = {"netgear-sntp-flawed", "unclassified"};
  t.flag_names = {"ntp-version-1"};
  std::map<int64_t, uint64_t> per_bin;
  for (const auto& [bin, src] : bin_sources) {
    auto a = *core::Address::parse(src);
    t.bin_sources.push_back({bin, 0, a, 10});
    t.bin_flags.push_back({bin, 0, a, 1, 10});
    per_bin[bin] += 10;
    tally::SourceSummary s;
    s.source = a;
    s.class_id = 0;
    s.first_ns = bin * 1'000'000'000;
    s.last_ns = s.first_ns + 1;
    s.packets = 10;
    s.bytes = 760;
    classify::CadenceHistogram h;
    for (int i = 0; i < 9; ++i) h.add_interval_ns(1'080'000'000);
    s.cadence = static_cast<uint32_t>(t.cadences.size());
    t.cadences.push_back(h);
    t.sources.push_back(s);
  }
  for (const auto& [bin, packets] : per_bin) {
    t.totals.push_back({bin, 0, packets, packets * 76, packets});
    t.bin_ports.push_back({bin, 0, 23457});
  }
  return t;
}

CaptureRecord capture(const std::string& hash) {
  return CaptureRecord{hash,
                       "/captures/" + hash + ".pcap",
                       1000,
                       20,
                       20,
                       kHour * 1'000'000'000LL,
                       (kHour + 3600) * 1'000'000'000LL};
}

std::vector<CensusRow> census(SqliteStore& s, int64_t width) {
  auto rows = s.census({width, std::nullopt});
  EXPECT_TRUE(rows) << (rows ? "" : rows.error().message);
  return rows ? rows.value() : std::vector<CensusRow>{};
}

TEST(SqliteStore, MergesOverlappingCapturesAcrossBins) {
  testing::TempDir tmp;
  auto s = SqliteStore::open(tmp.file("c.db"));
  ASSERT_TRUE(s) << s.error().message;
  // A sees 192.0.2.1 in hours 0 and 1; B overlaps: 192.0.2.1 again in hour 1, 192.0.2.2 in 1.
  ASSERT_TRUE(
      s->ingest(capture("a"), tallies({{kHour, "192.0.2.1"}, {kHour + 3600, "192.0.2.1"}}), kRaw));
  ASSERT_TRUE(s->ingest(capture("b"),
                        tallies({{kHour + 3600, "192.0.2.1"}, {kHour + 3600, "192.0.2.2"}}), kRaw));
  auto hourly = census(s.value(), 3600);
  ASSERT_EQ(hourly.size(), 2u);
  EXPECT_EQ(hourly[0].sources, 1u);
  EXPECT_EQ(hourly[0].packets, 10u);
  EXPECT_EQ(hourly[1].sources, 2u);   // 192.0.2.1 once, although both captures saw it
  EXPECT_EQ(hourly[1].packets, 30u);  // packets add up
  EXPECT_EQ(hourly[1].prefixes24, 1u);
  EXPECT_EQ(hourly[1].source_ports, 1u);
  auto daily = census(s.value(), 86400);
  ASSERT_EQ(daily.size(), 1u);
  EXPECT_EQ(daily[0].sources, 2u);
  EXPECT_EQ(daily[0].packets, 40u);
  EXPECT_DOUBLE_EQ(daily[0].packets_per_second, 40.0 / 86400);
  auto flags = s->flags({86400, std::nullopt});
  ASSERT_TRUE(flags);
  ASSERT_EQ(flags->size(), 1u);
  EXPECT_EQ(flags->at(0).sources, 2u);
  auto sources = s->sources(std::nullopt, 10);
  ASSERT_TRUE(sources);
  ASSERT_EQ(sources->size(), 2u);
  EXPECT_EQ(sources->at(0).source, "192.0.2.1");
  EXPECT_EQ(sources->at(0).packets, 30u);
  EXPECT_EQ(sources->at(0).intervals, 27u);  // cadence histograms merged
  EXPECT_NEAR(sources->at(0).median_interval_s, 1.08, 0.15);
}

// Rows of one SQL query's first column, as integers.
std::vector<int64_t> query_ints(const std::string& path, const std::string& sql) {
  sqlite3* db = nullptr;
  std::vector<int64_t> out;
  EXPECT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
  sqlite3_stmt* q = nullptr;
  EXPECT_EQ(sqlite3_prepare_v2(db, sql.c_str(), -1, &q, nullptr), SQLITE_OK) << sql;
  while (q != nullptr && sqlite3_step(q) == SQLITE_ROW) out.push_back(sqlite3_column_int64(q, 0));
  sqlite3_finalize(q);
  sqlite3_close(db);
  return out;
}

// flags() as flag -> (packets, sources).
std::map<std::string, std::pair<uint64_t, uint64_t>> flags_by_name(SqliteStore& s) {
  auto flags = s.flags({3600, std::nullopt});
  EXPECT_TRUE(flags);
  std::map<std::string, std::pair<uint64_t, uint64_t>> by_flag;
  for (const auto& f : flags.value()) by_flag[f.flag] = {f.packets, f.sources};
  return by_flag;
}

// A source's flag rows are stored one per set of flags, and reported per flag, with the packets
// of every set that holds the flag.
TEST(SqliteStore, StoresSetsOfFlagsAndReportsEachFlag) {
  testing::TempDir tmp;
  const std::string path = tmp.file("c.db");
  auto s = SqliteStore::open(path);
  ASSERT_TRUE(s);
  tally::TallySet t = tallies({{kHour, "192.0.2.1"}, {kHour, "192.0.2.2"}});
  t.flag_names = {"ntp-version-1", "rfc4330-fast-poll", "cadence-60s"};
  const auto a = *core::Address::parse("192.0.2.1");
  const auto b = *core::Address::parse("192.0.2.2");
  t.bin_flags = {{kHour, 0, a, 1, 4}, {kHour, 0, a, 3, 6}, {kHour, 0, b, 2, 10}};
  ASSERT_TRUE(s->ingest(capture("f"), t, kRaw));
  auto by_flag = flags_by_name(s.value());
  EXPECT_EQ(by_flag.size(), 2u);
  EXPECT_EQ(by_flag["ntp-version-1"], std::make_pair(uint64_t{10}, uint64_t{1}));
  EXPECT_EQ(by_flag["rfc4330-fast-poll"], std::make_pair(uint64_t{16}, uint64_t{2}));
  EXPECT_EQ(by_flag.count("cadence-60s"), 0u);
  // Three rows (one per source and set), not four (one per source and flag); three sets.
  EXPECT_EQ(query_ints(path, "SELECT count(*) FROM bin_flag_set"), std::vector<int64_t>{3});
  EXPECT_EQ(query_ints(path, "SELECT count(*) FROM flag_set"), std::vector<int64_t>{3});
  EXPECT_EQ(query_ints(path, "SELECT count(*) FROM flag_set_member"), std::vector<int64_t>{4});
}

// A version-2 store (one bin_flag row per source and flag) is migrated to sets of one flag: the
// flags report the same, and a later capture's sets merge with them.
TEST(SqliteStore, MigratesRowsPerFlagToSetsOfFlags) {
  testing::TempDir tmp;
  const std::string path = tmp.file("c.db");
  tally::TallySet t = tallies({{kHour, "192.0.2.1"}, {kHour, "192.0.2.2"}});
  t.flag_names = {"ntp-version-1", "rfc4330-fast-poll"};
  const auto a = *core::Address::parse("192.0.2.1");
  const auto b = *core::Address::parse("192.0.2.2");
  t.bin_flags = {{kHour, 0, a, 1, 4}, {kHour, 0, a, 3, 6}, {kHour, 0, b, 2, 10}};
  std::map<std::string, std::pair<uint64_t, uint64_t>> before;
  {
    auto s = SqliteStore::open(path);
    ASSERT_TRUE(s);
    ASSERT_TRUE(s->ingest(capture("a"), t, kRaw));
    before = flags_by_name(s.value());
  }
  // Back to version 2 by hand: the table of version 2, filled as version 2 wrote it.
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(db,
                         "CREATE TABLE bin_flag(bin_start INTEGER NOT NULL, class_id INTEGER NOT "
                         "NULL, flag_id INTEGER NOT NULL, source BLOB NOT NULL, packets INTEGER "
                         "NOT NULL, PRIMARY KEY(bin_start, class_id, flag_id, source)) WITHOUT "
                         "ROWID;"
                         "INSERT INTO bin_flag SELECT f.bin_start, f.class_id, m.flag_id, "
                         "f.source, sum(f.packets) FROM bin_flag_set f JOIN flag_set_member m ON "
                         "m.set_id=f.set_id GROUP BY 1, 2, 3, 4;"
                         "DROP TABLE bin_flag_set; DROP TABLE flag_set_member; DROP TABLE "
                         "flag_set; PRAGMA user_version=2;",
                         nullptr, nullptr, nullptr),
            SQLITE_OK);
  sqlite3_close(db);
  // One row per source and flag: a's two sets hold ntp-version-1, so a has one row of it.
  ASSERT_EQ(query_ints(path, "SELECT count(*) FROM bin_flag"), std::vector<int64_t>{3});

  auto s = SqliteStore::open(path);
  ASSERT_TRUE(s) << s.error().message;
  EXPECT_EQ(query_ints(path, "PRAGMA user_version"), std::vector<int64_t>{kSchemaVersion});
  EXPECT_EQ(query_ints(path, "SELECT count(*) FROM sqlite_master WHERE name='bin_flag'"),
            std::vector<int64_t>{0});
  EXPECT_EQ(query_ints(path, "SELECT count(*) FROM bin_flag_set"), std::vector<int64_t>{3});
  EXPECT_EQ(query_ints(path, "SELECT count(*) FROM flag_set"), std::vector<int64_t>{2});
  EXPECT_EQ(flags_by_name(s.value()), before);
  // A second capture: source a again with both flags (a two-flag set, new in this store).
  tally::TallySet t2 = tallies({{kHour, "192.0.2.1"}});
  t2.flag_names = t.flag_names;
  t2.bin_flags = {{kHour, 0, a, 3, 5}};
  ASSERT_TRUE(s->ingest(capture("b"), t2, kRaw));
  auto after = flags_by_name(s.value());
  EXPECT_EQ(after["ntp-version-1"], std::make_pair(uint64_t{15}, uint64_t{1}));
  EXPECT_EQ(after["rfc4330-fast-poll"], std::make_pair(uint64_t{21}, uint64_t{2}));
}

// A store holding capture "a" (one source) in which `trigger` (SQL) is then created: a trigger
// that aborts some insert of the next ingest.
void store_with_trigger(const std::string& path, const std::string& trigger) {
  {
    auto s = SqliteStore::open(path);
    ASSERT_TRUE(s);
    ASSERT_TRUE(s->ingest(capture("a"), tallies({{kHour, "192.0.2.1"}}), kRaw));
  }
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(db, trigger.c_str(), nullptr, nullptr, nullptr), SQLITE_OK);
  sqlite3_close(db);
}

// An ingest that fails after its flags were written leaves no set of flags behind.
TEST(SqliteStore, AFailedIngestLeavesNoSetOfFlags) {
  testing::TempDir tmp;
  const std::string path = tmp.file("c.db");
  store_with_trigger(path,
                     "CREATE TRIGGER fail BEFORE INSERT ON sources "
                     "BEGIN SELECT RAISE(ABORT, 'disk on fire'); END;");
  auto s = SqliteStore::open(path);
  ASSERT_TRUE(s);
  const auto before = flags_by_name(s.value());
  tally::TallySet t = tallies({{kHour, "192.0.2.9"}});
  t.flag_names = {"ntp-version-1", "rfc4330-fast-poll"};
  t.bin_flags = {{kHour, 0, *core::Address::parse("192.0.2.9"), 3, 10}};
  auto failed = s->ingest(capture("b"), t, kRaw);
  ASSERT_FALSE(failed);
  EXPECT_NE(failed.error().message.find("disk on fire"), std::string::npos);
  EXPECT_EQ(flags_by_name(s.value()), before);
  EXPECT_EQ(query_ints(path, "SELECT count(*) FROM flag_set"), std::vector<int64_t>{1});
  EXPECT_EQ(query_ints(path, "SELECT count(*) FROM bin_flag_set"), std::vector<int64_t>{1});
}

TEST(SqliteStore, RefusesTheSameCaptureTwice) {
  testing::TempDir tmp;
  auto s = SqliteStore::open(tmp.file("c.db"));
  ASSERT_TRUE(s);
  ASSERT_TRUE(s->ingest(capture("a"), tallies({{kHour, "192.0.2.1"}}), kRaw));
  auto again = s->ingest(capture("a"), tallies({{kHour, "192.0.2.1"}}), kRaw);
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error().code, core::ErrorCode::kDuplicate);
  auto rows = census(s.value(), 3600);
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0].packets, 10u);
  auto found = s->find_capture("a");
  ASSERT_TRUE(found);
  ASSERT_TRUE(found.value());
  EXPECT_EQ(found.value()->path, "/captures/a.pcap");
}

TEST(SqliteStore, AFailedIngestLeavesNothingBehind) {
  testing::TempDir tmp;
  const std::string path = tmp.file("c.db");
  // Make the store fail half-way through the next ingest (after captures, bin_tally and
  // bin_source rows were written): a trigger aborts the first bin_port insert.
  store_with_trigger(path,
                     "CREATE TRIGGER fail BEFORE INSERT ON bin_port WHEN NEW.bin_start > 0 "
                     "BEGIN SELECT RAISE(ABORT, 'disk on fire'); END;");
  auto s = SqliteStore::open(path);
  ASSERT_TRUE(s);
  auto before = census(s.value(), 3600);
  auto failed =
      s->ingest(capture("b"), tallies({{kHour, "192.0.2.9"}, {kHour + 3600, "192.0.2.9"}}), kRaw);
  ASSERT_FALSE(failed);
  EXPECT_EQ(failed.error().code, core::ErrorCode::kStore);
  EXPECT_NE(failed.error().message.find("disk on fire"), std::string::npos);
  auto after = census(s.value(), 3600);
  ASSERT_EQ(after.size(), before.size());
  EXPECT_EQ(after[0].packets, before[0].packets);
  EXPECT_EQ(after[0].sources, before[0].sources);
  auto b = s->find_capture("b");
  ASSERT_TRUE(b);
  EXPECT_FALSE(b.value());  // not recorded: a retry will ingest it
  auto caps = s->captures();
  ASSERT_TRUE(caps);
  EXPECT_EQ(caps->size(), 1u);
}

TEST(SqliteStore, RefusesToMixAddressPolicies) {
  testing::TempDir tmp;
  auto s = SqliteStore::open(tmp.file("c.db"));
  ASSERT_TRUE(s);
  const AddressPolicy key_a{"cryptopan", "00112233aabbccdd"};
  const AddressPolicy key_b{"cryptopan", "ffeeddcc00112233"};
  ASSERT_TRUE(s->ingest(capture("a"), tallies({{kHour, "192.0.2.1"}}), key_a));
  auto other_key = s->ingest(capture("b"), tallies({{kHour, "192.0.2.2"}}), key_b);
  ASSERT_FALSE(other_key);
  EXPECT_NE(other_key.error().message.find("00112233aabbccdd"), std::string::npos);
  auto raw = s->ingest(capture("c"), tallies({{kHour, "192.0.2.3"}}), kRaw);
  ASSERT_FALSE(raw);
  EXPECT_NE(raw.error().message.find("RAW"), std::string::npos);
  ASSERT_TRUE(s->ingest(capture("d"), tallies({{kHour, "192.0.2.4"}}), key_a));
  auto policy = s->address_policy();
  ASSERT_TRUE(policy);
  ASSERT_TRUE(policy.value());
  EXPECT_EQ(*policy.value(), key_a);
  auto rows = census(s.value(), 3600);
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0].sources, 2u);
}

TEST(SqliteStore, KeepsItsBinWidthAndChecksReportWidths) {
  testing::TempDir tmp;
  const std::string path = tmp.file("c.db");
  { ASSERT_TRUE(SqliteStore::open(path, 900)); }
  auto s = SqliteStore::open(path, 3600);  // an existing store keeps its own width
  ASSERT_TRUE(s);
  EXPECT_EQ(s->base_bin_width_s(), 900);
  auto bad = s->census({1000, std::nullopt});
  ASSERT_FALSE(bad);
  EXPECT_NE(bad.error().message.find("not a multiple"), std::string::npos);
  auto mismatch = s->ingest(capture("x"), tallies({{kHour, "192.0.2.1"}}), kRaw);  // 3600 s tallies
  ASSERT_FALSE(mismatch);
}

TEST(SqliteStore, RefusesForeignAndNewerDatabases) {
  testing::TempDir tmp;
  const std::string foreign = tmp.file("other.db");
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(foreign.c_str(), &db), SQLITE_OK);
  sqlite3_exec(db, "CREATE TABLE t(x); INSERT INTO t VALUES(1);", nullptr, nullptr, nullptr);
  sqlite3_close(db);
  auto f = SqliteStore::open(foreign);
  ASSERT_FALSE(f);
  EXPECT_NE(f.error().message.find("not an iotcensus store"), std::string::npos);

  const std::string newer = tmp.file("newer.db");
  { ASSERT_TRUE(SqliteStore::open(newer)); }
  ASSERT_EQ(sqlite3_open(newer.c_str(), &db), SQLITE_OK);
  sqlite3_exec(db, "PRAGMA user_version=99", nullptr, nullptr, nullptr);
  sqlite3_close(db);
  auto n = SqliteStore::open(newer);
  ASSERT_FALSE(n);
  EXPECT_NE(n.error().message.find("newer"), std::string::npos);

  const std::string text = tmp.file("notes.txt");
  std::ofstream(text) << "not a database at all, just some words to fill the header page";
  auto t = SqliteStore::open(text);
  ASSERT_FALSE(t);
  EXPECT_NE(t.error().message.find(text), std::string::npos);

  auto missing = SqliteStore::open_existing(tmp.file("absent.db"));
  ASSERT_FALSE(missing);
  EXPECT_NE(missing.error().message.find("no store"), std::string::npos);
}

}  // namespace
}  // namespace iotcensus::store

// Drives the built `iotcensus` over every capture in shared/data/pcap and the client fixtures:
// clean failures, counts equal to tshark's, an unchanged store after bad input, no double counts.
#include <gtest/gtest.h>

#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <vector>

#include "core/address.h"
#include "support/test_support.h"

namespace iotcensus::integration {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;
using testing::CommandResult;
using testing::files_under;
using testing::has_tool;
using testing::iotcensus_bin;
using testing::lines;
using testing::quote;
using testing::run;
using testing::shared_data;
using testing::source_dir;
using testing::split;
using testing::TempDir;

// ---------------------------------------------------------------------------------------------
// Running iotcensus.

std::string join_quoted(const std::vector<std::string>& args) {
  std::string out;
  for (const auto& a : args) out += " " + quote(a);
  return out;
}

// One Crypto-PAn key for every store of this test. Without --key, ingest creates a key beside a
// new store and says so on stderr; that notice is not what the stderr checks here are about.
const std::string& test_key() {
  static const TempDir dir;
  static const std::string path = [] {
    const std::string p = dir.file("test.key");
    const auto r = run(quote(iotcensus_bin()) + " keygen " + quote(p));
    EXPECT_EQ(r.exit_code, 0) << "keygen: " << r.err;
    return p;
  }();
  return path;
}

CommandResult ingest(const std::string& store, const std::vector<std::string>& files,
                     const std::string& options = "") {
  return run(quote(iotcensus_bin()) + " ingest --json --key " + quote(test_key()) + " --store " +
             quote(store) + " " + options + join_quoted(files));
}

// One JSON object per line of `ingest --json`.
std::vector<json> json_lines(const std::string& out) {
  std::vector<json> objects;
  for (const auto& line : lines(out)) {
    if (line.empty()) continue;
    json j = json::parse(line, nullptr, /*allow_exceptions=*/false);
    EXPECT_TRUE(j.is_object()) << "not a JSON object: " << line;
    objects.push_back(std::move(j));
  }
  return objects;
}

std::string report_csv(const std::string& store, const std::string& bin) {
  const auto r = run(quote(iotcensus_bin()) + " report --k 1 --format csv --bin " + bin +
                     " --store " + quote(store));
  EXPECT_EQ(r.exit_code, 0) << "report --bin " << bin << ": " << r.err;
  return r.out;
}

// CSV with a header row -> one map per row, keyed by column name.
std::vector<std::map<std::string, std::string>> csv_rows(const std::string& text) {
  std::vector<std::map<std::string, std::string>> rows;
  const auto ls = lines(text);
  if (ls.empty()) return rows;
  const auto header = split(ls[0], ',');
  for (size_t i = 1; i < ls.size(); ++i) {
    if (ls[i].empty()) continue;
    const auto cols = split(ls[i], ',');
    EXPECT_EQ(cols.size(), header.size()) << "CSV row " << ls[i];
    std::map<std::string, std::string> row;
    for (size_t c = 0; c < header.size() && c < cols.size(); ++c) row[header[c]] = cols[c];
    rows.push_back(std::move(row));
  }
  return rows;
}

uint64_t number(const std::string& s) {
  return std::strtoull(s.c_str(), nullptr, 10);
}

// Rows of the `captures` table: through the sqlite3 CLI when it is installed, else through the
// captures list of `report --format json`.
int64_t captures_rows(const std::string& store) {
  if (has_tool("sqlite3")) {
    const auto r = run("sqlite3 " + quote(store) + " 'SELECT COUNT(*) FROM captures'");
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return std::atoll(r.out.c_str());
  }
  const auto r = run(quote(iotcensus_bin()) + " report --format json --store " + quote(store));
  EXPECT_EQ(r.exit_code, 0) << r.err;
  const json j = json::parse(r.out, nullptr, false);
  return j.contains("captures") ? static_cast<int64_t>(j["captures"].size()) : -1;
}

// Everything a reader of the store can see: the census at two widths, the sources, the
// captures count and, with the sqlite3 CLI, the full dump of the database.
std::string store_snapshot(const std::string& store) {
  std::string s = report_csv(store, "hour") + "\n--\n" + report_csv(store, "day") + "\n--\n";
  s += run(quote(iotcensus_bin()) + " sources --csv --limit 100000 --store " + quote(store)).out;
  s += "\n--\ncaptures " + std::to_string(captures_rows(store)) + "\n";
  if (has_tool("sqlite3")) s += run("sqlite3 " + quote(store) + " .dump").out;
  return s;
}

// The stderr lines that name `path` followed by ": " (so a/x does not match a/x.pcap).
std::vector<std::string> lines_naming(const std::string& err, const std::string& path) {
  std::vector<std::string> out;
  for (const auto& line : lines(err)) {
    if (line.find(path + ": ") != std::string::npos) out.push_back(line);
  }
  return out;
}

// The text after "path: " on a stderr line.
std::string reason_after(const std::string& line, const std::string& path) {
  const size_t at = line.find(path + ": ");
  return at == std::string::npos ? "" : line.substr(at + path.size() + 2);
}

// ---------------------------------------------------------------------------------------------
// tshark's counts, the oracle. tshark also numbers pcapng custom blocks as frames (they carry
// `frame.cb_pen`); they hold no packet, so they are not in tshark's packet count here.
// The NTP count is that of the display filter "ntp && !icmp && !icmpv6", computed from each
// frame's protocol stack (an NTP header quoted inside an ICMP error is not a message). IP
// reassembly is off: decode/ counts a fragmented datagram once, at its first fragment.

struct TsharkCount {
  bool clean = false;  // tshark read the whole file without an error
  uint64_t packets = 0;
  uint64_t custom_blocks = 0;
  uint64_t ntp = 0;
};

std::vector<TsharkCount> tshark_counts(const std::vector<std::string>& files) {
  TempDir tmp;
  {
    std::ofstream list(tmp.file("list"), std::ios::binary);
    for (size_t i = 0; i < files.size(); ++i) {
      list << tmp.file(std::to_string(i)) << '\0' << files[i] << '\0';
    }
  }
  // Several at a time: tshark's start-up is most of its time on these small files.
  const std::string script =
      "tshark -n -o ip.defragment:FALSE -o ipv6.defragment:FALSE -r \"$1\" -T fields -e "
      "frame.number -e frame.cb_pen -e frame.protocols "
      ">\"$0.out\" 2>/dev/null; echo $? >\"$0.rc\"";
  const auto r = run("xargs -0 -n 2 -P 4 sh -c " + quote(script) + " < " + quote(tmp.file("list")));
  EXPECT_EQ(r.exit_code, 0) << r.err;
  std::vector<TsharkCount> counts(files.size());
  for (size_t i = 0; i < files.size(); ++i) {
    std::ifstream out(tmp.file(std::to_string(i)) + ".out");
    std::ifstream rc(tmp.file(std::to_string(i)) + ".rc");
    int code = -1;
    rc >> code;
    counts[i].clean = code == 0;
    std::string line;
    while (std::getline(out, line)) {
      const auto cols = split(line, '\t');
      if (cols.size() < 3 || cols[0].empty()) continue;
      if (!cols[1].empty()) {
        ++counts[i].custom_blocks;
        continue;
      }
      ++counts[i].packets;
      bool ntp = false;
      bool icmp = false;
      for (const auto& p : split(cols[2], ':')) {
        ntp = ntp || p == "ntp";
        icmp = icmp || p == "icmp" || p == "icmpv6";
      }
      counts[i].ntp += ntp && !icmp;
    }
  }
  return counts;
}

// ---------------------------------------------------------------------------------------------
// One ingest of every file under shared/data/pcap, shared by the tests that read it.

struct AllFiles {
  std::vector<std::string> files;
  TempDir dir;
  std::string store;
  CommandResult result;
  std::vector<json> objects;
  std::vector<TsharkCount> tshark;
};

class IngestAllTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    all_ = new AllFiles;
    all_->files = files_under(shared_data() + "/pcap");
    all_->store = all_->dir.file("census.db");
    all_->result = ingest(all_->store, all_->files);
    all_->objects = json_lines(all_->result.out);
  }
  static void TearDownTestSuite() {
    delete all_;
    all_ = nullptr;
  }
  static const std::vector<TsharkCount>& tshark() {
    if (all_->tshark.empty()) all_->tshark = tshark_counts(all_->files);
    return all_->tshark;
  }
  static AllFiles* all_;
};

AllFiles* IngestAllTest::all_ = nullptr;

TEST_F(IngestAllTest, EveryFileIngestsOrFailsWithOneStderrLine) {
  const auto& a = *all_;
  ASSERT_GT(a.files.size(), 100u) << "shared data missing under " << shared_data();
  EXPECT_EQ(a.result.signal, 0) << "iotcensus ingest crashed: " << a.result.err;
  ASSERT_EQ(a.objects.size(), a.files.size()) << "one JSON object per file, in order";

  size_t ingested = 0;
  size_t failed = 0;
  std::map<std::string, std::string> first_with_hash;
  for (size_t i = 0; i < a.files.size(); ++i) {
    const std::string& path = a.files[i];
    const json& j = a.objects[i];
    ASSERT_TRUE(j.contains("file") && j.contains("status")) << j.dump();
    EXPECT_EQ(j["file"], path);
    const std::string status = j["status"];
    const auto named = lines_naming(a.result.err, path);
    if (status == "ingested") {
      ++ingested;
      ASSERT_TRUE(j.contains("packets") && j.contains("ntp_packets") && j.contains("skipped"))
          << j.dump();
      ASSERT_TRUE(j["skipped"].is_object()) << j.dump();
      // Every frame ends up in exactly one counter: NTP or one skip reason.
      uint64_t skipped = 0;
      for (const auto& [reason, n] : j["skipped"].items()) skipped += n.get<uint64_t>();
      EXPECT_EQ(j["ntp_packets"].get<uint64_t>() + skipped, j["packets"].get<uint64_t>())
          << path << ": " << j.dump();
      // An ingested file is on stderr only with the warning that it was cut short.
      const bool cut_short = j.value("cut_short", false);
      EXPECT_EQ(named.size(), cut_short ? 1u : 0u) << path << "\n" << a.result.err;
      if (cut_short && named.size() == 1) {
        EXPECT_NE(named[0].find("cut short"), std::string::npos) << named[0];
      }
      first_with_hash.emplace(j.value("content_hash", ""), path);
    } else if (status == "error") {
      ++failed;
      EXPECT_TRUE(j.contains("error")) << j.dump();
      ASSERT_EQ(named.size(), 1u) << path << " must be named on exactly one stderr line:\n"
                                  << a.result.err;
      EXPECT_GE(reason_after(named[0], path).size(), 8u) << "no reason: " << named[0];
    } else if (status == "duplicate") {
      // Only a byte-identical copy of a file ingested earlier in the run.
      const auto earlier = first_with_hash.find(j.value("content_hash", ""));
      EXPECT_NE(earlier, first_with_hash.end()) << j.dump();
      EXPECT_TRUE(named.empty()) << a.result.err;
    } else {
      ADD_FAILURE() << path << ": unknown status " << status;
    }
  }
  EXPECT_EQ(a.result.exit_code, failed == 0 ? 0 : 1) << a.result.err;
  // The data set has broken files on purpose and plenty of good ones.
  EXPECT_GT(failed, 0u);
  EXPECT_GT(ingested, 150u);
  // No stray stderr lines: each names one of the inputs.
  for (const auto& line : lines(a.result.err)) {
    size_t naming = 0;
    for (const auto& f : a.files) naming += line.find(f + ": ") != std::string::npos;
    EXPECT_EQ(naming, 1u) << "stderr line: " << line;
  }
}

// Alone, each file gets the verdict it got among all the others (so a failure stopped nothing),
// exit 0 when ingested, exit 1 with one stderr line when not, and never a signal.
TEST_F(IngestAllTest, EachFileAloneGetsTheSameVerdict) {
  const auto& a = *all_;
  ASSERT_EQ(a.objects.size(), a.files.size());
  for (size_t i = 0; i < a.files.size(); ++i) {
    const std::string& path = a.files[i];
    TempDir dir;
    const auto r = ingest(dir.file("census.db"), {path});
    EXPECT_EQ(r.signal, 0) << path << " crashed iotcensus: " << r.err;
    const auto objects = json_lines(r.out);
    ASSERT_EQ(objects.size(), 1u) << path << ": " << r.out;
    std::string batch = a.objects[i]["status"];
    if (batch == "duplicate") batch = "ingested";  // its twin was ingested earlier in the batch
    EXPECT_EQ(objects[0]["status"], batch) << path;
    if (objects[0]["status"] == "ingested") {
      EXPECT_EQ(r.exit_code, 0) << path << ": " << r.err;
      EXPECT_EQ(objects[0]["packets"], a.objects[i]["packets"]) << path;
      EXPECT_EQ(objects[0]["ntp_packets"], a.objects[i]["ntp_packets"]) << path;
    } else {
      EXPECT_EQ(r.exit_code, 1) << path << ": " << r.err;
      EXPECT_EQ(lines(r.err).size(), 1u) << path << ":\n" << r.err;
      EXPECT_EQ(lines_naming(r.err, path).size(), 1u) << path << ":\n" << r.err;
    }
  }
}

// For every capture that ingests and that tshark reads without an error, the packet and NTP
// counts equal tshark's.
TEST_F(IngestAllTest, CountsMatchTshark) {
  ASSERT_TRUE(has_tool("tshark")) << "tshark is the oracle of this test";
  const auto& a = *all_;
  ASSERT_EQ(a.objects.size(), a.files.size());
  const auto& t = tshark();
  size_t compared = 0;
  uint64_t ntp_total = 0;
  uint64_t custom_blocks = 0;
  for (size_t i = 0; i < a.files.size(); ++i) {
    const json& j = a.objects[i];
    if (j["status"] != "ingested" && j["status"] != "duplicate") continue;
    if (!t[i].clean) continue;
    ++compared;
    ntp_total += t[i].ntp;
    custom_blocks += t[i].custom_blocks;
    EXPECT_EQ(j["packets"].get<uint64_t>(), t[i].packets)
        << a.files[i] << ": packets (tshark also showed " << t[i].custom_blocks
        << " custom blocks)";
    EXPECT_EQ(j["ntp_packets"].get<uint64_t>(), t[i].ntp) << a.files[i] << ": ntp_packets";
  }
  EXPECT_GT(compared, 150u);
  EXPECT_GE(ntp_total, 690u) << "the NTP captures of the data set hold ~700 NTP messages";
  EXPECT_GT(custom_blocks, 0u) << "the pcapng test files carry custom blocks";
}

// The report's header, and its packets adding up to the NTP packets of the ingested files at
// every bin width.
TEST_F(IngestAllTest, ReportPacketsSumToIngestedNtpPackets) {
  const auto& a = *all_;
  uint64_t ntp = 0;
  for (const auto& j : a.objects) {
    if (j["status"] == "ingested") ntp += j["ntp_packets"].get<uint64_t>();
  }
  ASSERT_GT(ntp, 0u);
  for (const std::string bin : {"hour", "day", "week"}) {
    const std::string csv = report_csv(a.store, bin);
    ASSERT_FALSE(lines(csv).empty());
    EXPECT_EQ(lines(csv)[0].rfind("bin_start,class,packets,bytes,sources", 0), 0u) << lines(csv)[0];
    uint64_t packets = 0;
    for (const auto& row : csv_rows(csv)) packets += number(row.at("packets"));
    EXPECT_EQ(packets, ntp) << "--bin " << bin;
  }
}

// A capture file with one record of the given link type (classic pcap, microseconds).
void write_pcap(const std::string& path, uint32_t link_type) {
  auto le32 = [](std::string& s, uint32_t v) {
    for (int i = 0; i < 4; ++i) s += static_cast<char>((v >> (8 * i)) & 0xff);
  };
  std::string b;
  le32(b, 0xa1b2c3d4);
  b += std::string("\x02\x00\x04\x00", 4);  // version 2.4
  le32(b, 0);                               // thiszone
  le32(b, 0);                               // sigfigs
  le32(b, 65535);                           // snaplen
  le32(b, link_type);
  const std::string frame = "\x0b\x00\x00\x00 not an IP packet on this link";
  le32(b, 1700000000);  // seconds
  le32(b, 0);
  le32(b, static_cast<uint32_t>(frame.size()));
  le32(b, static_cast<uint32_t>(frame.size()));
  b += frame;
  std::ofstream(path, std::ios::binary) << b;
}

TEST(IngestBadInput, ExitsOneNamesTheFileAndLeavesTheStoreUnchanged) {
  TempDir dir;
  const std::string store = dir.file("census.db");
  const std::string good = shared_data() + "/pcap/ntp/zeek_ntp.pcap";
  const auto first = ingest(store, {good});
  ASSERT_EQ(first.exit_code, 0) << first.err;
  ASSERT_EQ(captures_rows(store), 1);

  const std::string text = dir.file("notes.txt");
  std::ofstream(text) << "These are notes, not a capture.\nA second line.\n";
  const std::string missing = dir.file("no-such-capture.pcap");
  const std::string link147 = dir.file("linktype147.pcap");
  write_pcap(link147, 147);

  for (const std::string& bad : {text, missing, link147}) {
    const std::string before = store_snapshot(store);
    const auto r = ingest(store, {bad});
    EXPECT_EQ(r.signal, 0) << bad;
    EXPECT_EQ(r.exit_code, 1) << bad << ": " << r.err;
    EXPECT_EQ(lines(r.err).size(), 1u) << bad << ":\n" << r.err;
    const auto named = lines_naming(r.err, bad);
    ASSERT_EQ(named.size(), 1u) << bad << ":\n" << r.err;
    EXPECT_GE(reason_after(named[0], bad).size(), 8u) << named[0];
    const auto objects = json_lines(r.out);
    ASSERT_EQ(objects.size(), 1u) << r.out;
    EXPECT_EQ(objects[0]["status"], "error");
    EXPECT_EQ(objects[0]["file"], bad);
    EXPECT_EQ(store_snapshot(store), before) << bad << " changed the store";
    EXPECT_EQ(captures_rows(store), 1) << bad;
  }
  // The unsupported link type is named as such.
  const auto r147 = ingest(store, {link147});
  EXPECT_NE(r147.err.find("147"), std::string::npos) << r147.err;

  // Among good files, a bad one stops nothing: the good one after it is ingested.
  const std::string other = shared_data() + "/pcap/ntp/zeek_ntp2.pcap";
  const auto mixed = ingest(store, {text, other, missing});
  EXPECT_EQ(mixed.exit_code, 1) << mixed.err;
  EXPECT_EQ(lines(mixed.err).size(), 2u) << mixed.err;
  const auto objects = json_lines(mixed.out);
  ASSERT_EQ(objects.size(), 3u);
  EXPECT_EQ(objects[0]["status"], "error");
  EXPECT_EQ(objects[1]["status"], "ingested");
  EXPECT_EQ(objects[2]["status"], "error");
  EXPECT_EQ(captures_rows(store), 2);
}

TEST(IngestDuplicate, SameCaptureTwiceOrRenamedIsNotCountedAgain) {
  TempDir dir;
  const std::string store = dir.file("census.db");
  const std::string capture = shared_data() + "/pcap/ntp/testrun_ntp_ntp.pcap";
  const auto first = ingest(store, {capture});
  ASSERT_EQ(first.exit_code, 0) << first.err;
  const auto first_json = json_lines(first.out);
  ASSERT_EQ(first_json.size(), 1u);
  EXPECT_EQ(first_json[0]["status"], "ingested");
  const std::string hour = report_csv(store, "hour");
  const std::string day = report_csv(store, "day");
  ASSERT_GE(lines(hour).size(), 2u) << "the capture has NTP rows";

  const std::string renamed = dir.file("renamed copy.pcap");
  fs::copy_file(capture, renamed);
  for (const std::string& again : {capture, renamed}) {
    const auto r = ingest(store, {again});
    EXPECT_EQ(r.exit_code, 0) << again << ": " << r.err;
    const auto objects = json_lines(r.out);
    ASSERT_EQ(objects.size(), 1u);
    EXPECT_EQ(objects[0]["status"], "duplicate") << again;
    EXPECT_EQ(objects[0]["content_hash"], first_json[0]["content_hash"]);
    EXPECT_EQ(report_csv(store, "hour"), hour) << again;
    EXPECT_EQ(report_csv(store, "day"), day) << again;
    EXPECT_EQ(captures_rows(store), 1);
  }
  // Both in one invocation: still counted once.
  const auto both = ingest(store, {renamed, capture});
  EXPECT_EQ(both.exit_code, 0);
  for (const auto& j : json_lines(both.out)) EXPECT_EQ(j["status"], "duplicate");
  EXPECT_EQ(report_csv(store, "hour"), hour);
}

// Two pieces of one capture that share frames (so they overlap in time) but differ in content:
// their distinct counts merge to those of the whole capture, while packets add up to the whole
// plus the shared frames.
TEST(IngestOverlap, OverlappingPiecesMergeDistinctCountsLikeTheWhole) {
  ASSERT_TRUE(has_tool("editcap")) << "editcap (wireshark-common) cuts the pieces";
  TempDir dir;
  const std::string whole = shared_data() + "/pcap/ntp/testrun_ntp_ntp.pcap";
  const std::string a = dir.file("first.pcap");
  const std::string b = dir.file("second.pcap");
  const std::string shared = dir.file("shared.pcap");
  for (const auto& [out, range] : std::vector<std::pair<std::string, std::string>>{
           {a, "1-1500"}, {b, "1000-2383"}, {shared, "1000-1500"}}) {
    const auto r = run("editcap -r " + quote(whole) + " " + quote(out) + " " + range);
    ASSERT_EQ(r.exit_code, 0) << r.err;
  }

  // Hour-based stores (hour, day) and 15-minute stores, where the pieces straddle a bin edge.
  for (const std::string base : {"hour", "15m"}) {
    const std::string pieces = dir.file("pieces-" + base + ".db");
    const std::string once = dir.file("whole-" + base + ".db");
    const std::string overlap = dir.file("shared-" + base + ".db");
    const std::string width = "--bin-width " + base;
    const auto rp = ingest(pieces, {a, b}, width);
    ASSERT_EQ(rp.exit_code, 0) << rp.err;
    const auto pj = json_lines(rp.out);
    ASSERT_EQ(pj.size(), 2u);
    EXPECT_EQ(pj[0]["status"], "ingested");
    EXPECT_EQ(pj[1]["status"], "ingested");
    EXPECT_NE(pj[0]["content_hash"], pj[1]["content_hash"]);
    const auto rw = ingest(once, {whole}, width);
    ASSERT_EQ(rw.exit_code, 0) << rw.err;
    const auto ro = ingest(overlap, {shared}, width);
    ASSERT_EQ(ro.exit_code, 0) << ro.err;
    const auto oj = json_lines(ro.out);
    ASSERT_EQ(oj.size(), 1u);
    ASSERT_GT(oj[0]["ntp_packets"].get<uint64_t>(), 0u) << "the pieces share NTP frames";

    const std::vector<std::string> bins = base == "hour"
                                              ? std::vector<std::string>{"hour", "day"}
                                              : std::vector<std::string>{"15m", "hour", "day"};
    for (const auto& bin : bins) {
      using Key = std::pair<std::string, std::string>;  // bin_start, class
      std::map<Key, std::map<std::string, std::string>> p, w, o;
      for (auto& row : csv_rows(report_csv(pieces, bin))) p[{row["bin_start"], row["class"]}] = row;
      for (auto& row : csv_rows(report_csv(once, bin))) w[{row["bin_start"], row["class"]}] = row;
      for (auto& row : csv_rows(report_csv(overlap, bin)))
        o[{row["bin_start"], row["class"]}] = row;
      ASSERT_FALSE(w.empty());
      std::set<Key> keys;
      for (const auto& [k, row] : p) keys.insert(k);
      for (const auto& [k, row] : w) keys.insert(k);
      if (bin == "15m") {
        EXPECT_NE(w.begin()->first.first, w.rbegin()->first.first)
            << "the capture spans two 15-minute bins";
      }
      for (const auto& k : keys) {
        const std::string where = base + " store, --bin " + bin + ", " + k.first + " " + k.second;
        ASSERT_TRUE(p.count(k) && w.count(k)) << where << ": row only on one side";
        // Distinct counts: sources always, the others where the report has them.
        ASSERT_TRUE(w[k].count("sources") && p[k].count("sources")) << where;
        for (const std::string col :
             {"sources", "source_ports", "prefixes24", "prefixes48", "prefixes64"}) {
          if (!w[k].count(col)) continue;
          EXPECT_EQ(p[k][col], w[k][col]) << where << ", column " << col;
        }
        const uint64_t shared_packets = o.count(k) ? number(o[k]["packets"]) : 0;
        EXPECT_EQ(number(p[k]["packets"]), number(w[k]["packets"]) + shared_packets)
            << where << ": packets of the pieces = whole + shared frames";
      }
    }
  }
}

// The client fixtures: chronyd's requests in class chrony-client, and ntpdig's, sntp's and
// ntpdate's (all ntpdig on Debian 12) in ntpsec-ntpdig. Request counts are tshark's per source
// and the README's totals; the replies are ntp-server.
TEST(IngestClients, FixtureRequestsLandInTheirClass) {
  struct Fixture {
    std::string file;
    std::string cls;
    uint64_t requests_v4;  // tests/fixtures/clients/README.md
    uint64_t requests_v6;
  };
  const std::vector<Fixture> fixtures = {{"chronyd.pcap", "chrony-client", 16, 17},
                                         {"ntpdig.pcap", "ntpsec-ntpdig", 2, 2},
                                         {"sntp.pcap", "ntpsec-ntpdig", 2, 2},
                                         {"ntpdate.pcap", "ntpsec-ntpdig", 2, 2}};
  const bool tshark = has_tool("tshark");
  ASSERT_TRUE(tshark) << "tshark counts the requests per source";
  TempDir dir;
  const std::string together = dir.file("all-clients.db");
  std::map<std::string, uint64_t> together_expected;
  for (const auto& f : fixtures) {
    const std::string path = source_dir() + "/tests/fixtures/clients/" + f.file;
    const std::string store = dir.file(f.file + ".db");
    // Real addresses, to compare the sources with tshark's.
    const auto r = ingest(store, {path}, "--raw-addresses");
    ASSERT_EQ(r.exit_code, 0) << f.file << ": " << r.err;
    ASSERT_EQ(ingest(together, {path}, "--raw-addresses").exit_code, 0);

    // tshark: mode 3 requests and mode 4 replies per source address.
    // Keyed "address mode N", the address spelled the way core::Address prints it.
    auto key = [](const core::Address& a, int mode) {
      return a.to_string() + " mode " + std::to_string(mode);
    };
    std::map<std::string, uint64_t> want;
    const auto t = run("tshark -n -r " + quote(path) +
                       " -Y 'ntp && !icmp && !icmpv6' -T fields -e ip.src -e ipv6.src -e "
                       "ntp.flags.mode 2>/dev/null");
    ASSERT_EQ(t.exit_code, 0);
    uint64_t v4 = 0;
    uint64_t v6 = 0;
    for (const auto& line : lines(t.out)) {
      const auto cols = split(line, '\t');
      ASSERT_EQ(cols.size(), 3u) << line;
      const auto addr = core::Address::parse(cols[0].empty() ? cols[1] : cols[0]);
      ASSERT_TRUE(addr.has_value()) << line;
      const int mode = std::atoi(cols[2].c_str());
      ++want[key(*addr, mode)];
      if (mode == 3) (cols[0].empty() ? v6 : v4) += 1;
    }
    EXPECT_EQ(v4, f.requests_v4) << f.file << ": IPv4 requests (README)";
    EXPECT_EQ(v6, f.requests_v6) << f.file << ": IPv6 requests (README)";

    // sources --csv: the requests of each source in the fixture's class, the replies in
    // ntp-server, nothing anywhere else.
    const auto s =
        run(quote(iotcensus_bin()) + " sources --csv --limit 1000 --store " + quote(store));
    ASSERT_EQ(s.exit_code, 0) << s.err;
    std::map<std::string, uint64_t> got;
    for (const auto& row : csv_rows(s.out)) {
      const auto addr = core::Address::parse(row.at("source"));
      ASSERT_TRUE(addr.has_value()) << row.at("source");
      const std::string& cls = row.at("class");
      int mode = 0;
      if (cls == f.cls) {
        mode = 3;
      } else if (cls == "ntp-server") {
        mode = 4;
      } else {
        ADD_FAILURE() << f.file << ": source " << row.at("source") << " in class " << cls;
      }
      got[key(*addr, mode)] += number(row.at("packets"));
    }
    EXPECT_EQ(got, want) << f.file << ": packets per (source, mode) from `sources --csv`";

    // report: the class holds every request.
    uint64_t in_class = 0;
    for (const auto& row : csv_rows(report_csv(store, "day"))) {
      if (row.at("class") == f.cls) {
        in_class += number(row.at("packets"));
      } else {
        EXPECT_EQ(row.at("class"), "ntp-server") << f.file;
      }
    }
    EXPECT_EQ(in_class, f.requests_v4 + f.requests_v6) << f.file << ": report, class " << f.cls;
    together_expected[f.cls] += f.requests_v4 + f.requests_v6;
  }
  std::map<std::string, uint64_t> together_got;
  for (const auto& row : csv_rows(report_csv(together, "day"))) {
    if (row.at("class") != "ntp-server") together_got[row.at("class")] += number(row.at("packets"));
  }
  EXPECT_EQ(together_got, together_expected) << "all four fixtures in one store";
}

}  // namespace
}  // namespace iotcensus::integration

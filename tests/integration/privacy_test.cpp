// Tests privacy by default end to end: pseudonyms instead of addresses in the store, identical
// prefix counts with and without anonymization, stable pseudonyms per key, k-anonymous reports
// with their metadata, and the anonymize/keygen/export commands against Crypto-PAn's vectors.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <set>

#include "support/test_support.h"

namespace iotcensus::testing {
namespace {

std::string bin() {
  return quote(iotcensus_bin());
}

std::vector<std::string> ntp_captures() {
  std::vector<std::string> out;
  for (const auto& f : files_under(shared_data() + "/pcap/ntp")) {
    if (f.size() > 5 && f.substr(f.size() - 5) == ".pcap") out.push_back(f);
  }
  return out;
}

CommandResult ingest(const std::string& store, const std::string& extra) {
  std::string cmd = bin() + " ingest -q --store " + quote(store) + " " + extra;
  for (const auto& f : ntp_captures()) cmd += " " + quote(f);
  return run(cmd);
}

std::set<std::string> exported_sources(const std::string& store) {
  auto r = run(bin() + " export --store " + quote(store));
  EXPECT_EQ(r.exit_code, 0) << r.err;
  std::set<std::string> out;
  for (const auto& line : lines(r.out)) {
    if (line.empty() || line[0] == '#' || line.rfind("source,", 0) == 0) continue;
    out.insert(split(line, ',')[0]);
  }
  return out;
}

TEST(Privacy, StoresPseudonymsByDefaultWithAKeyMadeOnFirstUse) {
  TempDir tmp;
  auto r = ingest(tmp.file("c.db"), "");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const std::string key = tmp.file("iotcensus.key");
  EXPECT_NE(r.err.find(key), std::string::npos) << "the user is told where the key is: " << r.err;
  struct stat st {};
  ASSERT_EQ(stat(key.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  // No real source address of the captures appears in the store.
  auto raw_sources = exported_sources([&] {
    auto raw = tmp.file("raw.db");
    EXPECT_EQ(ingest(raw, "--raw-addresses").exit_code, 0);
    return raw;
  }());
  auto pseudonyms = exported_sources(tmp.file("c.db"));
  ASSERT_EQ(raw_sources.size(), pseudonyms.size());
  ASSERT_GT(raw_sources.size(), 50u);
  for (const auto& a : raw_sources) EXPECT_EQ(pseudonyms.count(a), 0u) << a;
  auto dump = run("sqlite3 " + quote(tmp.file("c.db")) + " .dump");
  ASSERT_EQ(dump.exit_code, 0);
  // The raw blobs would contain 0a0a0a05 (10.10.10.5, a source of testrun_ntp_ntp.pcap).
  EXPECT_EQ(dump.out.find("ffff0a0a0a05"), std::string::npos);
  auto raw_dump = run("sqlite3 " + quote(tmp.file("raw.db")) + " .dump");
  EXPECT_NE(raw_dump.out.find("ffff0a0a0a05"), std::string::npos);
}

TEST(Privacy, PrefixCountsAreTheSameOnPseudonyms) {
  TempDir tmp;
  ASSERT_EQ(ingest(tmp.file("p.db"), "").exit_code, 0);
  ASSERT_EQ(ingest(tmp.file("r.db"), "--raw-addresses").exit_code, 0);
  for (const char* b : {"hour", "day"}) {
    auto p = run(bin() + " report --k 1 --format csv --bin " + b + " --store " +
                 quote(tmp.file("p.db")));
    auto r = run(bin() + " report --k 1 --format csv --bin " + b + " --store " +
                 quote(tmp.file("r.db")));
    ASSERT_EQ(p.exit_code, 0);
    auto pl = lines(p.out);
    auto rl = lines(r.out);
    ASSERT_EQ(pl.size(), rl.size());
    EXPECT_GT(pl.size(), 20u);
    for (size_t i = 1; i < pl.size(); ++i) {
      // Every column but the last, which says how addresses were kept.
      EXPECT_EQ(pl[i].substr(0, pl[i].rfind(',')), rl[i].substr(0, rl[i].rfind(','))) << b;
      EXPECT_EQ(pl[i].substr(pl[i].rfind(',') + 1), "pseudonyms");
      EXPECT_EQ(rl[i].substr(rl[i].rfind(',') + 1), "raw");
    }
  }
}

TEST(Privacy, SameKeySamePseudonymsOtherKeyUnlinkable) {
  TempDir tmp;
  ASSERT_EQ(run(bin() + " keygen " + quote(tmp.file("a.key"))).exit_code, 0);
  ASSERT_EQ(run(bin() + " keygen " + quote(tmp.file("b.key"))).exit_code, 0);
  EXPECT_NE(run(bin() + " keygen " + quote(tmp.file("a.key"))).exit_code, 0) << "never overwrites";
  ASSERT_EQ(ingest(tmp.file("a1.db"), "--key " + quote(tmp.file("a.key"))).exit_code, 0);
  ASSERT_EQ(ingest(tmp.file("a2.db"), "--key " + quote(tmp.file("a.key"))).exit_code, 0);
  ASSERT_EQ(ingest(tmp.file("b.db"), "--key " + quote(tmp.file("b.key"))).exit_code, 0);
  auto a1 = exported_sources(tmp.file("a1.db"));
  auto a2 = exported_sources(tmp.file("a2.db"));
  auto b = exported_sources(tmp.file("b.db"));
  EXPECT_EQ(a1, a2);
  size_t common = 0;
  for (const auto& s : a1) common += b.count(s);
  EXPECT_EQ(common, 0u);
  // A store refuses captures pseudonymized with another key, or raw ones.
  auto mixed = run(bin() + " ingest --store " + quote(tmp.file("a1.db")) + " --key " +
                   quote(tmp.file("b.key")) + " " +
                   quote(source_dir() + "/tests/fixtures/clients/sntp.pcap"));
  EXPECT_EQ(mixed.exit_code, 1);
  EXPECT_NE(mixed.err.find("key fingerprint"), std::string::npos) << mixed.err;
}

TEST(Privacy, ReportsSuppressSmallCellsAndSaySo) {
  TempDir tmp;
  ASSERT_EQ(ingest(tmp.file("c.db"), "").exit_code, 0);
  auto all = run(bin() + " report --k 1 --format json --store " + quote(tmp.file("c.db")));
  auto k10 = run(bin() + " report --format json --store " + quote(tmp.file("c.db")));
  ASSERT_EQ(k10.exit_code, 0);
  auto ja = nlohmann::json::parse(all.out);
  auto jk = nlohmann::json::parse(k10.out);
  EXPECT_EQ(jk["publication"]["k"], 10);
  ASSERT_EQ(ja["rows"].size(), jk["rows"].size());
  size_t suppressed = 0;
  for (size_t i = 0; i < ja["rows"].size(); ++i) {
    const bool small = ja["rows"][i]["sources"].get<int>() < 10;
    EXPECT_EQ(jk["rows"][i]["suppressed"].get<bool>(), small) << i;
    if (small) {
      EXPECT_FALSE(jk["rows"][i].contains("packets"));
      ++suppressed;
    } else {
      EXPECT_EQ(jk["rows"][i]["packets"], ja["rows"][i]["packets"]);
    }
  }
  EXPECT_GT(suppressed, 0u);
  EXPECT_EQ(jk["publication"]["suppressed_rows"].get<size_t>(), suppressed);
  EXPECT_EQ(ja["publication"]["suppressed_rows"].get<size_t>(), 0u);
  bool has_source_field = false;
  for (const auto& f : jk["anonymization"]) {
    if (f["field"] == "source address") {
      has_source_field = true;
      EXPECT_NE(f["technique"].get<std::string>().find("Crypto-PAn"), std::string::npos);
    }
  }
  EXPECT_TRUE(has_source_field);
  auto table = run(bin() + " report --store " + quote(tmp.file("c.db")));
  EXPECT_NE(table.out.find("k = 10"), std::string::npos);
  EXPECT_NE(table.out.find("suppressed"), std::string::npos);
  EXPECT_NE(table.out.find("Crypto-PAn pseudonyms"), std::string::npos);
  auto csv = run(bin() + " report --format csv --store " + quote(tmp.file("c.db")));
  size_t suppressed_csv = 0;
  for (const auto& line : lines(csv.out)) {
    auto f = split(line, ',');
    ASSERT_EQ(f.size(), 13u) << line;
    if (f[11] == "1") {
      ++suppressed_csv;
      EXPECT_EQ(f[2], "") << line;  // numbers withheld
      EXPECT_EQ(f[4], "") << line;
    }
  }
  EXPECT_EQ(suppressed_csv, suppressed);
  // Raw stores say so in every report.
  ASSERT_EQ(ingest(tmp.file("raw.db"), "--raw-addresses").exit_code, 0);
  auto raw = run(bin() + " report --store " + quote(tmp.file("raw.db")));
  EXPECT_NE(raw.out.find("RAW source addresses"), std::string::npos);
  auto raw_json = nlohmann::json::parse(
      run(bin() + " report --format json --store " + quote(tmp.file("raw.db"))).out);
  EXPECT_EQ(raw_json["addresses"]["mode"], "raw");
}

TEST(Privacy, AnonymizeCommandReproducesTheCryptoPanSampleTrace) {
  const std::string dir = shared_data() + "/cryptopan";
  std::ifstream key_in(dir + "/sample_key.hex");
  std::string key((std::istreambuf_iterator<char>(key_in)), {});
  while (!key.empty() && isspace(static_cast<unsigned char>(key.back()))) key.pop_back();
  TempDir tmp;
  std::ofstream raw(tmp.file("raw.txt"));
  std::vector<std::string> expected;
  std::ifstream trace(dir + "/cryptopan_ipv4_sample_trace.csv");
  std::string line;
  std::getline(trace, line);  // header
  while (std::getline(trace, line)) {
    auto f = split(line, ',');
    if (f.size() < 2) continue;
    raw << f[0] << "\n";
    expected.push_back(f[1]);
  }
  raw.close();
  ASSERT_GE(expected.size(), 100u);
  auto r = run(bin() + " anonymize --key-hex " + quote(key) + " < " + quote(tmp.file("raw.txt")));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(lines(r.out), expected);
  // The same through a key file, and IPv6 input is accepted.
  std::ofstream(tmp.file("k")) << key << "\n";
  auto v6 = run("printf '2001:db8::1\\n2001:db8::2\\n' | " + bin() + " anonymize --key " +
                quote(tmp.file("k")));
  ASSERT_EQ(v6.exit_code, 0) << v6.err;
  auto out = lines(v6.out);
  ASSERT_EQ(out.size(), 2u);
  EXPECT_NE(out[0], "2001:db8::1");
  // Prefix preserved: the two share 127 bits, so the pseudonyms differ only in the last bit.
  EXPECT_EQ(out[0].substr(0, out[0].size() - 1), out[1].substr(0, out[1].size() - 1));
  auto bad = run("echo not-an-address | " + bin() + " anonymize --key " + quote(tmp.file("k")));
  EXPECT_EQ(bad.exit_code, 1);
  EXPECT_NE(bad.err.find("line 1"), std::string::npos);
}

}  // namespace
}  // namespace iotcensus::testing

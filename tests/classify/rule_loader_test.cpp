// Tests reading rules from TOML: every key of the format, and errors that name the file, the
// rule and the key for each kind of mistake.
#include "classify/rule_loader.h"

#include <gtest/gtest.h>

#include "classify/classifier.h"
#include "cli/rule_options.h"

namespace iotcensus::classify {
namespace {

TEST(RuleLoader, ReadsEveryKey) {
  auto rules = parse_rules(R"(
[[class]]
name = "sample"
description = "all keys"
priority = 7
  [class.match]
  mode = [3]
  version = [1, 2]
  leap = 0
  stratum = [0, 16]
  poll = [-2, 6]
  precision = [-20]
  root_delay = [0]
  root_dispersion = [0]
  reference_id = [0x494e4954]
  ntp_length = [48]
  udp_length = [56]
  ip_total_length = [76]
  src_port = [23457]
  dst_port = [123]
  src_address = ["192.0.2.0/24", "2001:db8::/32"]
  dst_address = "128.105.39.11"
  zero_timestamps = ["reference", "origin", "receive"]
  nonzero_timestamps = ["transmit"]
  payload_hex = "0b00"
  payload_mask = "ff0f"
  extension_fields = false
  mac = false
  [class.evidence]
  src_port = [23457]
  [class.cadence]
  median_min_s = 0.5
  median_max_s = 2
  min_intervals = 4
[[flag]]
name = "flag-one"
  [flag.match]
  private_request = [42]
  control_opcode = [2]
)",
                           "test.toml");
  ASSERT_TRUE(rules) << rules.error().message;
  ASSERT_EQ(rules->size(), 2u);
  const Rule& r = rules->at(0);
  EXPECT_EQ(r.name, "sample");
  EXPECT_EQ(r.priority, 7);
  EXPECT_EQ(r.kind, RuleKind::kClass);
  EXPECT_TRUE((*r.match.version)[1] && (*r.match.version)[2] && !(*r.match.version)[3]);
  EXPECT_EQ(r.match.poll, (std::vector<int>{-2, 6}));
  EXPECT_EQ(r.match.reference_id, (std::vector<uint32_t>{0x494e4954}));
  ASSERT_EQ(r.match.src_address.size(), 2u);
  EXPECT_EQ(r.match.src_address[0].bits, 24);
  EXPECT_EQ(r.match.payload, (std::vector<uint8_t>{0x0b, 0x00}));
  EXPECT_EQ(r.match.payload_mask, (std::vector<uint8_t>{0xff, 0x0f}));
  ASSERT_TRUE(r.cadence);
  EXPECT_EQ(r.cadence->min_intervals, 4u);
  EXPECT_DOUBLE_EQ(r.cadence->median_max_s, 2.0);
  EXPECT_FALSE(r.evidence.empty);
  EXPECT_EQ(rules->at(1).kind, RuleKind::kFlag);
  EXPECT_EQ(r.origin, "test.toml");
}

void expect_error(const std::string& toml, const std::string& needle) {
  auto rules = parse_rules(toml, "bad.toml");
  ASSERT_FALSE(rules) << toml;
  EXPECT_EQ(rules.error().code, core::ErrorCode::kBadRule);
  EXPECT_NE(rules.error().message.find("bad.toml"), std::string::npos) << rules.error().message;
  EXPECT_NE(rules.error().message.find(needle), std::string::npos) << rules.error().message;
}

TEST(RuleLoader, ReportsMistakesByFileRuleAndKey) {
  expect_error("[[class]]\nname = \"x\"\n[class.match]\nmodee = [3]\n", "modee");
  expect_error("[[class]]\nname = \"x\"\n[class.match]\nmode = [9]\n", "outside 0..7");
  expect_error("[[class]]\nname = \"x\"\n[class.match]\nmode = \"three\"\n", "'mode'");
  expect_error("[[class]]\nname = \"x\"\n[class.match]\ndst_address = [\"not.an.ip\"]\n",
               "not.an.ip");
  expect_error("[[class]]\nname = \"x\"\n[class.match]\npayload_hex = \"0g\"\n", "hexadecimal");
  expect_error(
      "[[class]]\nname = \"x\"\n[class.match]\npayload_hex = \"00\"\npayload_mask = \"0000\"\n",
      "differ in length");
  expect_error("[[class]]\nname = \"x\"\n", "would match everything");
  expect_error("[[class]]\n[class.match]\nmode = [3]\n", "has no name");
  expect_error("[[class]]\nname = \"Bad Name\"\n[class.match]\nmode = [3]\n", "lowercase");
  expect_error("[[thing]]\nname = \"x\"\n", "unknown top-level key 'thing'");
  expect_error("[[class]]\nname = \"x\"\n[class.cadence]\nmedian_min_s = 5\nmedian_max_s = 1\n",
               "median_min_s > median_max_s");
  expect_error("[[class]]\nname = \"x\"\nmode = [3]\n", "unknown key 'mode'");
  expect_error("this is = not toml [", "bad.toml:1");
}

TEST(RuleLoader, RejectsDuplicateNames) {
  auto rules = parse_rules(
      "[[class]]\nname = \"x\"\n[class.match]\nmode = [3]\n"
      "[[class]]\nname = \"x\"\n[class.match]\nmode = [4]\n",
      "dup.toml");
  ASSERT_TRUE(rules);
  auto c = Classifier::create(std::move(rules.value()));
  ASSERT_FALSE(c);
  EXPECT_NE(c.error().message.find("'x' is used twice"), std::string::npos);
}

TEST(RuleLoader, BuiltInRulesLoadAndIncludeTheFlagship) {
  auto c = cli::RuleOptions{}.load();
  ASSERT_TRUE(c) << c.error().message;
  bool netgear = false, chrony = false, ntpdig = false, fast_poll = false;
  for (const auto& r : c->rules()) {
    netgear |= r.name == "netgear-sntp-flawed";
    chrony |= r.name == "chrony-client";
    ntpdig |= r.name == "ntpsec-ntpdig";
    fast_poll |= r.name == "rfc4330-fast-poll" && r.kind == RuleKind::kFlag;
  }
  EXPECT_TRUE(netgear && chrony && ntpdig && fast_poll);
  // Priority order: the Netgear rule is tried before the generic client fallback.
  EXPECT_EQ(c->rules().front().name, "netgear-sntp-flawed");
}

}  // namespace
}  // namespace iotcensus::classify

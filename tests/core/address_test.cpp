// Tests core::Address: parsing and printing both families, IPv4 mapping, prefixes and order.
#include "core/address.h"

#include <gtest/gtest.h>

namespace iotcensus::core {
namespace {

TEST(Address, ParsesAndPrintsIpv4) {
  auto a = Address::parse("128.105.39.11");
  ASSERT_TRUE(a);
  EXPECT_TRUE(a->is_v4());
  EXPECT_EQ(a->v4(), 0x8069270bu);
  EXPECT_EQ(a->to_string(), "128.105.39.11");
  EXPECT_EQ(*a, Address::from_v4(0x8069270b));
}

TEST(Address, ParsesAndPrintsIpv6) {
  auto a = Address::parse("2001:db8::1");
  ASSERT_TRUE(a);
  EXPECT_FALSE(a->is_v4());
  EXPECT_EQ(a->hi, 0x20010db800000000ULL);
  EXPECT_EQ(a->lo, 1u);
  EXPECT_EQ(a->to_string(), "2001:db8::1");
}

TEST(Address, RejectsGarbage) {
  EXPECT_FALSE(Address::parse("300.1.1.1"));
  EXPECT_FALSE(Address::parse("hello"));
  EXPECT_FALSE(Address::parse(""));
  EXPECT_FALSE(Address::parse("1:2:3"));
}

TEST(Address, BytesRoundTrip) {
  auto a = *Address::parse("fe80::1234:5678:9abc:def0");
  EXPECT_EQ(Address::from_bytes(a.bytes()), a);
  auto b = *Address::parse("10.1.2.3");
  auto bytes = b.bytes();
  EXPECT_EQ(bytes[10], 0xff);
  EXPECT_EQ(bytes[11], 0xff);
  EXPECT_EQ(bytes[12], 10);
  EXPECT_EQ(bytes[15], 3);
  EXPECT_EQ(Address::from_v4_bytes(bytes.data() + 12), b);
}

TEST(Address, PrefixesPerFamily) {
  auto a = *Address::parse("192.0.2.77");
  EXPECT_EQ(a.prefix(24).to_string(), "192.0.2.0");
  EXPECT_EQ(a.prefix(32), a);
  EXPECT_EQ(a.prefix(0).to_string(), "0.0.0.0");
  auto b = *Address::parse("2001:db8:aaaa:bbbb:cccc:dddd:eeee:ffff");
  EXPECT_EQ(b.prefix(64).to_string(), "2001:db8:aaaa:bbbb::");
  EXPECT_EQ(b.prefix(48).to_string(), "2001:db8:aaaa::");
  EXPECT_EQ(b.prefix(100).to_string(), "2001:db8:aaaa:bbbb:cccc:dddd:e000:0");
  EXPECT_EQ(b.prefix(128), b);
}

TEST(Address, OrdersByBytes) {
  EXPECT_LT(*Address::parse("10.0.0.1"), *Address::parse("10.0.0.2"));
  EXPECT_LT(*Address::parse("::1"), *Address::parse("10.0.0.1"));  // ::ffff:0:0/96 after ::1
}

TEST(Address, SpecialPurposeSlash24sFollowRfc6890) {
  auto p24 = [](const char* a) { return Address::parse(a)->v4() >> 8; };
  for (const char* special :
       {"0.1.2.3", "10.9.8.7", "127.0.0.1", "100.64.0.1", "100.127.255.1", "169.254.1.1",
        "172.16.0.1", "172.31.255.1", "192.168.1.1", "192.0.0.1", "192.0.2.1", "198.18.0.1",
        "198.19.0.1", "198.51.100.1", "203.0.113.1", "224.0.0.1", "255.255.255.255"}) {
    EXPECT_TRUE(is_special_purpose_slash24(p24(special))) << special;
  }
  for (const char* global :
       {"1.1.1.1", "100.63.0.1", "100.128.0.1", "128.105.39.11", "172.15.0.1", "172.32.0.1",
        "192.0.1.1", "198.51.101.1", "203.0.114.1", "223.255.255.1"}) {
    EXPECT_FALSE(is_special_purpose_slash24(p24(global))) << global;
  }
}

}  // namespace
}  // namespace iotcensus::core

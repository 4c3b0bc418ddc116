// Tests UTC bins and ISO 8601 handling in core/time_bin.h against known calendar dates
// (the values are those `date -u -d ... +%s` prints).
#include "core/time_bin.h"

#include <gtest/gtest.h>

namespace iotcensus::core {
namespace {

TEST(TimeBin, FormatsKnownInstants) {
  EXPECT_EQ(format_iso8601(0), "1970-01-01T00:00:00Z");
  EXPECT_EQ(format_iso8601(1052870400), "2003-05-14T00:00:00Z");
  EXPECT_EQ(format_iso8601(1483228799), "2016-12-31T23:59:59Z");
  EXPECT_EQ(format_iso8601(951782400), "2000-02-29T00:00:00Z");  // leap day
  EXPECT_EQ(format_iso8601(-1), "1969-12-31T23:59:59Z");
  EXPECT_EQ(format_date(1052913600), "2003-05-14");
}

TEST(TimeBin, ParsesWhatItFormats) {
  for (int64_t t : {int64_t{0}, int64_t{1052870400}, int64_t{1483228799}, int64_t{951782400},
                    int64_t{4102444800}}) {
    auto parsed = parse_iso8601(format_iso8601(t));
    ASSERT_TRUE(parsed) << t;
    EXPECT_EQ(*parsed, t);
  }
  EXPECT_EQ(parse_iso8601("2003-05-14"), 1052870400);
  EXPECT_EQ(parse_iso8601("2003-05-14T12:00:00+00:00"), 1052913600);
  EXPECT_FALSE(parse_iso8601("2003-13-01"));
  EXPECT_FALSE(parse_iso8601("2003-05-14T25:00:00Z"));
  EXPECT_FALSE(parse_iso8601("2003-05-14T12:00:00+02:00"));
  EXPECT_FALSE(parse_iso8601("yesterday"));
}

TEST(TimeBin, BinsFloorEvenBeforeEpoch) {
  EXPECT_EQ(bin_start(1052913600 + 59, 3600), 1052913600);
  EXPECT_EQ(bin_start(1052913599, 86400), 1052870400);
  EXPECT_EQ(bin_start(-1, 3600), -3600);
  EXPECT_EQ(floor_seconds(-1), -1);
  EXPECT_EQ(floor_seconds(1'999'999'999), 1);
}

TEST(TimeBin, ParsesWidths) {
  EXPECT_EQ(parse_bin_width("hour"), 3600);
  EXPECT_EQ(parse_bin_width("day"), 86400);
  EXPECT_EQ(parse_bin_width("week"), 604800);
  EXPECT_EQ(parse_bin_width("15m"), 900);
  EXPECT_EQ(parse_bin_width("6h"), 21600);
  EXPECT_EQ(parse_bin_width("3600"), 3600);
  EXPECT_FALSE(parse_bin_width("0"));
  EXPECT_FALSE(parse_bin_width("fortnight"));
  EXPECT_FALSE(parse_bin_width(""));
}

}  // namespace
}  // namespace iotcensus::core

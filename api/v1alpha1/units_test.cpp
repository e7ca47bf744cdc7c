#include "api/v1alpha1/units.hpp"

#include <gtest/gtest.h>

using namespace stackd::manifest;
using namespace std::chrono_literals;

TEST(Units, Durations) {
  EXPECT_EQ(parse_duration("15s"), std::chrono::milliseconds(15s));
  EXPECT_EQ(parse_duration("1h30m"), std::chrono::milliseconds(90min));
  EXPECT_EQ(parse_duration("15d"), std::chrono::milliseconds(15 * 24h));
  EXPECT_EQ(parse_duration("250ms"), 250ms);
  EXPECT_FALSE(parse_duration("15"));
  EXPECT_FALSE(parse_duration("1.5h"));
  EXPECT_FALSE(parse_duration("soon"));
  EXPECT_FALSE(parse_duration(""));
}

TEST(Units, Sizes) {
  EXPECT_EQ(parse_size("20GB"), 20'000'000'000ull);
  EXPECT_EQ(parse_size("512MiB"), 512ull * 1024 * 1024);
  EXPECT_EQ(parse_size("1g"), 1024ull * 1024 * 1024);
  EXPECT_EQ(parse_size("100"), 100ull);
  EXPECT_FALSE(parse_size("lots"));
  EXPECT_FALSE(parse_size("20 GB"));
  EXPECT_FALSE(parse_size("5PB"));
}

TEST(Units, DurationsThatDoNotFitAreRejectedNotWrapped) {
  EXPECT_FALSE(parse_duration("80722053595y"));  // wrapped to 31 minutes before
  EXPECT_FALSE(parse_duration("9223372036854775807s"));
  EXPECT_FALSE(parse_duration(std::string(40, '9') + "s"));
  EXPECT_FALSE(parse_duration("292471208y1y"));  // each part fits, the sum does not
  EXPECT_EQ(parse_duration("100y"), std::chrono::milliseconds(100 * 365 * 24h));
  EXPECT_FALSE(parse_duration("5"));
  EXPECT_FALSE(parse_duration("s"));
}

TEST(Units, SizesAreStrictAndBounded) {
  EXPECT_FALSE(parse_size("1.2.3GB"));
  EXPECT_FALSE(parse_size("1."));
  EXPECT_FALSE(parse_size(".5GB"));
  EXPECT_FALSE(parse_size("1e9"));
  EXPECT_FALSE(parse_size("-1GB"));
  EXPECT_FALSE(parse_size("99999999999999999999999"));
  EXPECT_FALSE(parse_size("2000000TiB"));  // over 1 EiB
  EXPECT_EQ(parse_size("1.5GiB"), 1536ull * 1024 * 1024);
  EXPECT_EQ(parse_size("0.5KB"), 500ull);
  EXPECT_EQ(parse_size("1024TiB"), 1ull << 50);
}

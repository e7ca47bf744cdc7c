#include "common/rfc3339.hpp"

#include <gtest/gtest.h>

namespace stackd {
namespace {

using namespace std::chrono;

long long unix_us(std::string_view s) {
  auto t = parse_rfc3339(s);
  EXPECT_TRUE(t.has_value()) << s;
  return t ? duration_cast<microseconds>(t->time_since_epoch()).count() : 0;
}

TEST(Rfc3339, GoTimesWithZonesAndFractions) {
  EXPECT_EQ(unix_us("1970-01-01T00:00:00Z"), 0);
  EXPECT_EQ(unix_us("2026-01-01T00:00:00Z"), 1767225600LL * 1000000);
  EXPECT_EQ(unix_us("2026-01-01T02:00:00+02:00"), 1767225600LL * 1000000);
  EXPECT_EQ(unix_us("2025-12-31T16:30:00.5-07:30"), 1767225600LL * 1000000 + 500000);
  EXPECT_EQ(unix_us("2026-01-01T00:00:00.123456789Z"), 1767225600LL * 1000000 + 123456);  // ns cut to us
  EXPECT_EQ(unix_us("0001-01-01T00:00:00Z"), -62135596800LL * 1000000);  // Go's zero time
  EXPECT_GT(unix_us("2318-08-21T12:00:00Z"), unix_us("2262-01-01T00:00:00Z"));  // "forever" keep-alive
}

TEST(Rfc3339, RejectsWhatIsNotOne) {
  for (std::string_view bad : {"", "2026-01-01", "2026-01-01T00:00:00", "2026-13-01T00:00:00Z", "2026-02-30T00:00:00Z",
                               "2026-01-01T24:00:00Z", "2026-01-01T00:00:00.Z", "2026-01-01T00:00:00+0200",
                               "2026-01-01T00:00:00Zjunk", "26-01-01T00:00:00Z", "2026-01-01 00:00:00Z"})
    EXPECT_FALSE(parse_rfc3339(bad).has_value()) << bad;
  EXPECT_FALSE(parse_rfc3339("2026-01-01T00:00:00." + std::string(100, '1') + "Z").has_value());
}

}  // namespace
}  // namespace stackd

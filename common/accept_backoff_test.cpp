#include "common/accept_backoff.hpp"

#include <gtest/gtest.h>

namespace stackd {
namespace {

using namespace std::chrono_literals;

TEST(AcceptBackoff, DelaysDoubleFrom5msTo1sAndRestartAfterASuccess) {
  AcceptBackoff b;
  auto t = AcceptBackoff::Clock::time_point{} + 1h;
  std::vector<long> delays;
  for (int i = 0; i < 10; ++i) delays.push_back(b.failed(t).delay.count());
  EXPECT_EQ(delays, (std::vector<long>{5, 10, 20, 40, 80, 160, 320, 640, 1000, 1000}));
  b.succeeded();
  EXPECT_EQ(b.failed(t).delay, 5ms);
  EXPECT_EQ(b.total_failures(), 11u);
}

TEST(AcceptBackoff, LogsTheFirstFailureThenAtMostOnceAMinuteWithTheCount) {
  AcceptBackoff b;
  auto t = AcceptBackoff::Clock::time_point{} + 1h;
  auto first = b.failed(t);
  ASSERT_TRUE(first.log_failures);
  EXPECT_EQ(*first.log_failures, 1u);
  int logged = 0;
  // An hour of failures, a success after every one (connections closing and
  // being replaced keep resetting the delay): still one line a minute.
  for (int s = 1; s <= 3600; ++s) {
    b.succeeded();
    if (auto d = b.failed(t + std::chrono::seconds(s)); d.log_failures) {
      ++logged;
      EXPECT_EQ(*d.log_failures, 60u);
    }
  }
  EXPECT_EQ(logged, 60);
}

}  // namespace
}  // namespace stackd

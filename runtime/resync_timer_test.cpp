#include "runtime/resync_timer.hpp"

#include <gtest/gtest.h>

#include <vector>

#include "runtime/fake_clock.hpp"

namespace stackd::runtime {
namespace {

using namespace std::chrono_literals;

struct ResyncTimerTest : ::testing::Test {
  FakeClock clock;
  FakeRandom random;  // 0.5: exactly the period
  std::vector<Duration> fired_at;  // since start
  SteadyTime start = clock.now();
  ResyncTimer timer{clock, random, ResyncPolicy{.period = 5min, .retry_period = 30s, .jitter = 0.1},
                    [this] { fired_at.push_back(clock.now() - start); }};
};

TEST_F(ResyncTimerTest, DefaultsAreFiveMinutesWithTenPercentJitter) {
  ResyncPolicy policy;
  EXPECT_EQ(policy.period, 5min);
  EXPECT_DOUBLE_EQ(policy.jitter, 0.1);
  EXPECT_LT(policy.retry_period, policy.period);
}

TEST_F(ResyncTimerTest, FiresEveryPeriodOnceStarted) {
  clock.advance(1h);
  EXPECT_TRUE(fired_at.empty());  // not started
  start = clock.now();
  timer.start();
  clock.advance(16min);
  EXPECT_EQ(fired_at, (std::vector<Duration>{5min, 10min, 15min}));
}

TEST_F(ResyncTimerTest, JitterSpreadsThePeriod) {
  random.push(0.0);       // first: -10%
  random.push(0.999999);  // second: ~+10%
  random.push(0.5);
  timer.start();
  clock.advance(4min + 30s);
  ASSERT_EQ(fired_at.size(), 1u);
  EXPECT_EQ(fired_at[0], 4min + 30s);
  clock.advance(5min + 30s);
  ASSERT_EQ(fired_at.size(), 2u);
  EXPECT_NEAR(std::chrono::duration<double>(fired_at[1]).count(), 270.0 + 330.0, 0.01);
}

TEST_F(ResyncTimerTest, FailureRetriesSoonerUntilASuccess) {
  timer.start();
  clock.advance(5min);
  ASSERT_EQ(fired_at.size(), 1u);
  timer.report(false);  // the resync failed
  EXPECT_TRUE(timer.retrying());
  clock.advance(30s);
  ASSERT_EQ(fired_at.size(), 2u);
  EXPECT_EQ(fired_at[1], 5min + 30s);
  timer.report(false);  // still failing: retry period again
  clock.advance(30s);
  ASSERT_EQ(fired_at.size(), 3u);
  timer.report(true);  // recovered: back to the long period
  EXPECT_FALSE(timer.retrying());
  clock.advance(4min);
  EXPECT_EQ(fired_at.size(), 3u);
  clock.advance(1min);
  ASSERT_EQ(fired_at.size(), 4u);
  EXPECT_EQ(fired_at[3], 11min);
}

TEST_F(ResyncTimerTest, FailureOutsideAResyncPullsTheNextOneIn) {
  timer.start();
  clock.advance(1min);
  timer.report(false);  // e.g. an event-driven reconcile failed
  clock.advance(30s);
  ASSERT_EQ(fired_at.size(), 1u);
  EXPECT_EQ(fired_at[0], 1min + 30s);
}

TEST_F(ResyncTimerTest, RepeatedFailuresDoNotPostponeTheRetry) {
  timer.start();
  timer.report(false);
  clock.advance(20s);
  timer.report(false);  // must not push the retry due in 10s out to 30s
  clock.advance(10s);
  EXPECT_EQ(fired_at.size(), 1u);
}

TEST_F(ResyncTimerTest, RestartPushesTheNextResyncAFullPeriodAway) {
  timer.start();
  clock.advance(4min);
  timer.restart();  // SIGHUP just did a full resync
  clock.advance(4min);
  EXPECT_TRUE(fired_at.empty());
  clock.advance(1min);
  EXPECT_EQ(fired_at, (std::vector<Duration>{9min}));
}

TEST_F(ResyncTimerTest, StopCancels) {
  timer.start();
  timer.stop();
  clock.advance(1h);
  EXPECT_TRUE(fired_at.empty());
  EXPECT_EQ(timer.next_due(), SteadyTime::max());
  EXPECT_EQ(clock.pending(), 0u);
}

}  // namespace
}  // namespace stackd::runtime

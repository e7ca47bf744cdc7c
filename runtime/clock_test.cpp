#include "runtime/clock.hpp"

#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <gtest/gtest.h>

#include <vector>

#include "runtime/fake_clock.hpp"

namespace stackd::runtime {
namespace {

using namespace std::chrono_literals;

TEST(FakeClock, RunsCallbacksInDeadlineOrderOnlyWhenAdvanced) {
  FakeClock clock;
  std::vector<int> ran;
  clock.call_after(2s, [&] { ran.push_back(2); });
  clock.call_after(1s, [&] { ran.push_back(1); });
  clock.call_after(1s, [&] { ran.push_back(11); });  // same deadline: scheduling order
  EXPECT_TRUE(ran.empty());
  clock.advance(999ms);
  EXPECT_TRUE(ran.empty());
  clock.advance(1ms);
  EXPECT_EQ(ran, (std::vector<int>{1, 11}));
  clock.advance(10s);
  EXPECT_EQ(ran, (std::vector<int>{1, 11, 2}));
  EXPECT_EQ(clock.pending(), 0u);
}

TEST(FakeClock, CallbackSeesItsDeadlineAndChainedTimersRunInsideTheWindow) {
  FakeClock clock;
  const SteadyTime start = clock.now();
  std::vector<Duration> seen;
  std::function<void()> tick = [&] {
    seen.push_back(clock.now() - start);
    if (seen.size() < 3) clock.call_after(1s, tick);
  };
  clock.call_after(1s, tick);
  clock.advance(10s);
  EXPECT_EQ(seen, (std::vector<Duration>{1s, 2s, 3s}));
  EXPECT_EQ(clock.now() - start, 10s);
}

TEST(FakeClock, SystemTimeMovesWithSteadyTime) {
  FakeClock clock;
  const SystemTime before = clock.system_now();
  clock.advance(90s);
  EXPECT_EQ(clock.system_now() - before, 90s);
}

TEST(Timer, CancelPreventsTheCallbackAndIsIdempotent) {
  FakeClock clock;
  bool ran = false;
  Timer t = clock.call_after(1s, [&] { ran = true; });
  EXPECT_TRUE(t.pending());
  t.cancel();
  t.cancel();
  EXPECT_FALSE(t.pending());
  clock.advance(2s);
  EXPECT_FALSE(ran);
  EXPECT_EQ(clock.pending(), 0u);
}

TEST(Timer, DroppingTheHandleDoesNotCancel) {
  FakeClock clock;
  bool ran = false;
  { clock.call_after(1s, [&] { ran = true; }); }
  clock.advance(1s);
  EXPECT_TRUE(ran);
}

TEST(SleepFor, CoroutineResumesOnlyAfterTheFakeClockPassesTheDeadline) {
  net::io_context io;
  FakeClock clock;
  bool woke = false;
  net::co_spawn(io, [&]() -> net::awaitable<void> {
    co_await sleep_for(clock, 5s);
    woke = true;
  }, net::detached);
  io.poll();
  EXPECT_FALSE(woke);
  clock.advance(4s);
  io.poll();
  EXPECT_FALSE(woke);
  clock.advance(1s);
  io.poll();
  EXPECT_TRUE(woke);
}

TEST(SleepFor, CancellingTheCoroutineAbortsTheSleepAndItsTimer) {
  net::io_context io;
  FakeClock clock;
  net::cancellation_signal stop;
  std::exception_ptr error;
  net::co_spawn(io, sleep_for(clock, 1h),
                net::bind_cancellation_slot(stop.slot(), [&](std::exception_ptr e) { error = e; }));
  io.poll();
  EXPECT_EQ(clock.pending(), 1u);
  stop.emit(net::cancellation_type::terminal);
  io.poll();
  ASSERT_TRUE(error);
  EXPECT_EQ(clock.pending(), 0u);
}

TEST(SystemClock, CallAfterRunsOnTheIoContext) {
  net::io_context io;
  SystemClock clock(io.get_executor());
  bool ran = false, cancelled_ran = false;
  clock.call_after(1ms, [&] { ran = true; });
  Timer t = clock.call_after(1ms, [&] { cancelled_ran = true; });
  t.cancel();
  io.run_for(1s);
  EXPECT_TRUE(ran);
  EXPECT_FALSE(cancelled_ran);
}

TEST(Jittered, StaysWithinTheFraction) {
  FakeRandom low({0.0}), high({0.999999}), mid({0.5});
  EXPECT_EQ(jittered(100s, 0.1, low), 90s);
  EXPECT_NEAR(std::chrono::duration<double>(jittered(100s, 0.1, high)).count(), 110.0, 0.001);
  EXPECT_EQ(jittered(100s, 0.1, mid), 100s);
  DefaultRandom random(42);
  for (int i = 0; i < 1000; ++i) {
    const Duration d = jittered(10s, 0.2, random);
    EXPECT_GE(d, 8s);
    EXPECT_LT(d, 12s);
  }
}

}  // namespace
}  // namespace stackd::runtime

#include "runtime/work_queue.hpp"

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

struct WorkQueueTest : ::testing::Test {
  net::io_context io;
  FakeClock clock;
  FakeRandom random;  // no jitter
  WorkQueue queue{io.get_executor(), clock, random, BackoffPolicy{.base = 1s, .cap = 8s, .jitter = 0.1}};
};

TEST_F(WorkQueueTest, DeduplicatesAndKeepsFifoOrder) {
  queue.add("prometheus");
  queue.add("grafana");
  queue.add("prometheus");
  EXPECT_EQ(queue.stats().depth, 2u);
  EXPECT_EQ(queue.stats().adds, 2u);
  EXPECT_EQ(queue.try_get(), "prometheus");
  EXPECT_EQ(queue.try_get(), "grafana");
  EXPECT_EQ(queue.try_get(), std::nullopt);
}

TEST_F(WorkQueueTest, KeyBeingProcessedIsNotHandedOutTwiceAndIsRequeuedAfterDone) {
  queue.add("grafana");
  ASSERT_EQ(queue.try_get(), "grafana");
  queue.add("grafana");  // changed while being reconciled
  queue.add("grafana");
  EXPECT_EQ(queue.try_get(), std::nullopt);
  EXPECT_TRUE(queue.is_processing("grafana"));
  queue.done("grafana");
  EXPECT_EQ(queue.try_get(), "grafana");
  queue.done("grafana");
  EXPECT_EQ(queue.try_get(), std::nullopt);
  EXPECT_EQ(queue.stats().processing, 0u);
}

TEST_F(WorkQueueTest, DoneWithoutReAddDoesNotRequeue) {
  queue.add("a");
  ASSERT_EQ(queue.try_get(), "a");
  queue.done("a");
  EXPECT_EQ(queue.stats().depth, 0u);
}

TEST_F(WorkQueueTest, AddAfterWaitsForTheClockAndEarliestWins) {
  queue.add_after("a", 10s);
  queue.add_after("a", 3s);   // earlier: replaces
  queue.add_after("a", 20s);  // later: ignored
  EXPECT_EQ(queue.stats().delayed, 1u);
  clock.advance(2999ms);
  EXPECT_EQ(queue.try_get(), std::nullopt);
  clock.advance(1ms);
  EXPECT_EQ(queue.try_get(), "a");
  queue.done("a");
  clock.advance(1h);
  EXPECT_EQ(queue.try_get(), std::nullopt);  // the replaced timers never fire
  EXPECT_EQ(queue.stats().retries, 3u);
}

TEST_F(WorkQueueTest, AddAfterZeroIsAnImmediateAdd) {
  queue.add_after("a", 0s);
  EXPECT_EQ(queue.try_get(), "a");
  EXPECT_EQ(queue.stats().retries, 0u);
}

TEST_F(WorkQueueTest, RateLimitedRetriesBackOffExponentiallyUntilForget) {
  std::vector<Duration> waits;
  for (int i = 0; i < 5; ++i) {
    const SteadyTime failed_at = clock.now();
    queue.add_rate_limited("prometheus");
    while (!queue.try_get()) ASSERT_TRUE(clock.advance_to_next());
    waits.push_back(clock.now() - failed_at);
    queue.done("prometheus");
  }
  EXPECT_EQ(waits, (std::vector<Duration>{1s, 2s, 4s, 8s, 8s}));
  EXPECT_EQ(queue.num_requeues("prometheus"), 5u);
  queue.forget("prometheus");  // it worked
  EXPECT_EQ(queue.num_requeues("prometheus"), 0u);
  queue.add_rate_limited("prometheus");
  clock.advance(1s);
  EXPECT_EQ(queue.try_get(), "prometheus");
}

TEST_F(WorkQueueTest, GetWaitsForAnAddWithoutSleeping) {
  std::vector<std::string> got;
  net::co_spawn(io, [&]() -> net::awaitable<void> {
    while (auto key = co_await queue.get()) {
      got.push_back(*key);
      queue.done(*key);
    }
    got.push_back("<shutdown>");
  }, net::detached);
  io.poll();
  EXPECT_TRUE(got.empty());
  queue.add("prometheus");
  queue.add_after("grafana", 5s);
  io.poll();
  EXPECT_EQ(got, (std::vector<std::string>{"prometheus"}));
  clock.advance(5s);
  io.poll();
  EXPECT_EQ(got, (std::vector<std::string>{"prometheus", "grafana"}));
  queue.shut_down();
  io.poll();
  EXPECT_EQ(got, (std::vector<std::string>{"prometheus", "grafana", "<shutdown>"}));
}

TEST_F(WorkQueueTest, TwoWorkersNeverHoldTheSameKey) {
  std::map<std::string, int> in_flight;
  int max_in_flight_per_key = 0, handled = 0;
  auto worker = [&]() -> net::awaitable<void> {
    while (auto key = co_await queue.get()) {
      max_in_flight_per_key = std::max(max_in_flight_per_key, ++in_flight[*key]);
      co_await sleep_for(clock, 1s);  // reconcile takes a while
      --in_flight[*key];
      ++handled;
      queue.done(*key);
    }
  };
  net::co_spawn(io, worker(), net::detached);
  net::co_spawn(io, worker(), net::detached);
  queue.add("a");
  io.poll();
  queue.add("a");  // while worker 1 holds "a": the idle worker must not get it
  queue.add("b");
  io.poll();
  for (int i = 0; i < 5; ++i) {
    clock.advance(1s);
    io.poll();
  }
  EXPECT_EQ(max_in_flight_per_key, 1);
  EXPECT_EQ(handled, 3);  // a, b, then a again
  queue.shut_down();
  io.poll();
}

TEST_F(WorkQueueTest, CancellingAWaitingGetThrows) {
  net::cancellation_signal stop;
  std::exception_ptr error;
  bool returned = false;
  net::co_spawn(io, [&]() -> net::awaitable<void> {
    co_await queue.get();
    returned = true;
  }, net::bind_cancellation_slot(stop.slot(), [&](std::exception_ptr e) { error = e; }));
  io.poll();
  stop.emit(net::cancellation_type::terminal);
  io.poll();
  EXPECT_TRUE(error);
  EXPECT_FALSE(returned);
}

TEST_F(WorkQueueTest, ShutDownDropsDelayedAddsAndIgnoresNewOnes) {
  queue.add_after("a", 1s);
  queue.shut_down();
  queue.add("b");
  clock.advance(1h);
  EXPECT_EQ(queue.try_get(), std::nullopt);
  EXPECT_EQ(clock.pending(), 0u);
}

TEST_F(WorkQueueTest, HooksMeasureQueuedAndWorkedTime) {
  Duration queued{}, worked{};
  WorkQueue q(io.get_executor(), clock, random, {},
              {.on_get = [&](const std::string&, Duration d) { queued = d; },
               .on_done = [&](const std::string&, Duration d) { worked = d; }});
  q.add("a");
  clock.advance(2s);
  ASSERT_EQ(q.try_get(), "a");
  clock.advance(3s);
  q.done("a");
  EXPECT_EQ(queued, 2s);
  EXPECT_EQ(worked, 3s);
}

}  // namespace
}  // namespace stackd::runtime

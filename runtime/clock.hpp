#pragma once
// Injected time and randomness (Envoy's TimeSource / RandomGenerator idea).
//
// Everything in the daemon that waits, backs off or jitters takes a Clock and
// a Random instead of reading std::chrono or <random> directly, so the tests
// drive time by hand (FakeClock in fake_clock.hpp) and never sleep.
//
// A Clock also schedules callbacks: timers are the only way daemon code waits.
// The real clock runs callbacks on its io_context; the fake runs them from
// advance(). Coroutines wait with sleep_for()/sleep_until(), which work with
// either.
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <random>

namespace stackd::runtime {

namespace net = boost::asio;

using SteadyTime = std::chrono::steady_clock::time_point;
using SystemTime = std::chrono::system_clock::time_point;
using Duration = std::chrono::steady_clock::duration;

// Handle to one scheduled callback. Copies share the same timer. Dropping the
// handle does NOT cancel (fire-and-forget is allowed); cancel() does, and is
// idempotent and safe after the callback ran.
class Timer {
 public:
  Timer() = default;
  void cancel();
  // True until the callback has run or the timer was cancelled.
  bool pending() const;

  // For Clock implementations only.
  struct State {
    bool cancelled = false;
    bool fired = false;
    std::function<void()> on_cancel;  // releases the implementation's resources
  };
  explicit Timer(std::shared_ptr<State> state) : state_(std::move(state)) {}

 private:
  std::shared_ptr<State> state_;
};

class Clock {
 public:
  virtual ~Clock() = default;
  // Monotonic time: for deadlines, durations, staleness.
  virtual SteadyTime now() const = 0;
  // Wall-clock time: only for timestamps shown to people (status, metrics).
  virtual SystemTime system_now() const = 0;
  // Runs callback once, at or after deadline, on the clock's event loop.
  virtual Timer call_at(SteadyTime deadline, std::function<void()> callback) = 0;

  Timer call_after(Duration delay, std::function<void()> callback) {
    return call_at(now() + delay, std::move(callback));
  }
};

// Uniform randomness for jitter.
class Random {
 public:
  virtual ~Random() = default;
  // Uniform in [0, 1).
  virtual double uniform() = 0;
};

// std::chrono clocks; timers are asio steady_timers on `executor`.
class SystemClock final : public Clock {
 public:
  explicit SystemClock(net::any_io_executor executor) : executor_(std::move(executor)) {}
  SteadyTime now() const override { return std::chrono::steady_clock::now(); }
  SystemTime system_now() const override { return std::chrono::system_clock::now(); }
  Timer call_at(SteadyTime deadline, std::function<void()> callback) override;

 private:
  net::any_io_executor executor_;
};

// mt19937_64 seeded from std::random_device (jitter, not cryptography).
class DefaultRandom final : public Random {
 public:
  DefaultRandom();
  explicit DefaultRandom(std::uint64_t seed) : engine_(seed) {}
  double uniform() override;

 private:
  std::mt19937_64 engine_;
};

// Suspends the calling coroutine until clock reaches deadline. Throws
// boost::system::system_error (operation_aborted) when the coroutine is
// cancelled first (its cancellation slot fires).
// The coroutine resumes on its own executor, so with a FakeClock the test
// calls clock.advance(...) and then io.poll().
net::awaitable<void> sleep_until(Clock& clock, SteadyTime deadline);
net::awaitable<void> sleep_for(Clock& clock, Duration delay);

// Scales `d` by a factor uniform in [1 - fraction, 1 + fraction).
Duration jittered(Duration d, double fraction, Random& random);

}  // namespace stackd::runtime

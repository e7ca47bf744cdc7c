#pragma once
// Test doubles for Clock and Random: time moves only when the test says so.
//
//   FakeClock clock;
//   queue.add_after("prometheus", 2s);
//   clock.advance(1999ms);  // nothing due
//   clock.advance(1ms);     // the callback runs here, synchronously
//   io.poll();              // coroutines woken by it resume
#include <deque>
#include <map>
#include <utility>

#include "runtime/clock.hpp"

namespace stackd::runtime {

class FakeClock final : public Clock {
 public:
  FakeClock();
  SteadyTime now() const override { return steady_; }
  SystemTime system_now() const override { return system_; }
  Timer call_at(SteadyTime deadline, std::function<void()> callback) override;

  // Moves both clocks forward by `d`, running every due callback in deadline
  // order (callbacks scheduled by callbacks run too when they fall inside).
  void advance(Duration d);
  // Moves to the next pending deadline (if any) and runs what is due then.
  // Returns false when nothing is scheduled.
  bool advance_to_next();
  std::size_t pending() const;
  // Deadline of the earliest pending timer; max() when none.
  SteadyTime next_deadline() const;

 private:
  struct Entry {
    std::shared_ptr<Timer::State> state;
    std::function<void()> callback;
  };
  void run_due();
  SteadyTime steady_;
  SystemTime system_;
  std::uint64_t sequence_ = 0;
  std::multimap<std::pair<SteadyTime, std::uint64_t>, Entry> timers_;
};

// Returns scripted values in order, then repeats the last one (default 0.5,
// i.e. no jitter with the usual ±fraction formula).
class FakeRandom final : public Random {
 public:
  FakeRandom() = default;
  explicit FakeRandom(std::deque<double> values) : values_(std::move(values)) {}
  void push(double v) { values_.push_back(v); }
  double uniform() override;

 private:
  std::deque<double> values_;
  double last_ = 0.5;
};

}  // namespace stackd::runtime

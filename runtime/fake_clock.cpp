#include "runtime/fake_clock.hpp"

namespace stackd::runtime {

// Arbitrary but fixed starting points, so test output is reproducible.
FakeClock::FakeClock()
    : steady_(SteadyTime(std::chrono::hours(1000))),
      system_(SystemTime(std::chrono::seconds(1'767'225'600))) {}  // 2026-01-01T00:00:00Z

Timer FakeClock::call_at(SteadyTime deadline, std::function<void()> callback) {
  auto state = std::make_shared<Timer::State>();
  auto key = std::make_pair(deadline, sequence_++);
  timers_.emplace(key, Entry{state, std::move(callback)});
  state->on_cancel = [this, key] { timers_.erase(key); };
  return Timer(state);
}

void FakeClock::run_due() {
  while (!timers_.empty() && timers_.begin()->first.first <= steady_) {
    auto node = timers_.extract(timers_.begin());
    Entry& entry = node.mapped();
    entry.state->fired = true;
    entry.state->on_cancel = nullptr;
    entry.callback();
  }
}

void FakeClock::advance(Duration d) {
  const SteadyTime target = steady_ + d;
  // Step through deadlines so a callback sees now() equal to its deadline and
  // timers it schedules inside the window also run.
  while (!timers_.empty() && timers_.begin()->first.first <= target) {
    const SteadyTime at = std::max(steady_, timers_.begin()->first.first);
    system_ += at - steady_;
    steady_ = at;
    run_due();
  }
  system_ += target - steady_;
  steady_ = target;
}

bool FakeClock::advance_to_next() {
  if (timers_.empty()) return false;
  advance(std::max(Duration::zero(), timers_.begin()->first.first - steady_));
  return true;
}

std::size_t FakeClock::pending() const { return timers_.size(); }

SteadyTime FakeClock::next_deadline() const {
  return timers_.empty() ? SteadyTime::max() : timers_.begin()->first.first;
}

double FakeRandom::uniform() {
  if (!values_.empty()) {
    last_ = values_.front();
    values_.pop_front();
  }
  return last_;
}

}  // namespace stackd::runtime

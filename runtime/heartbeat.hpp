#pragma once
// Liveness of the daemon's event loop, for /healthz.
//
// The manager calls beat() whenever it makes progress, and run_every() keeps
// beating from a timer on the same io_context, so an idle but healthy loop
// stays fresh while a loop stuck in a blocking call (or a deadlocked
// process) goes stale and /healthz turns 503.
#include "runtime/clock.hpp"

namespace stackd::runtime {

class Heartbeat {
 public:
  explicit Heartbeat(Clock& clock) : clock_(clock), last_(clock.now()) {}
  ~Heartbeat() { stop(); }
  Heartbeat(const Heartbeat&) = delete;
  Heartbeat& operator=(const Heartbeat&) = delete;

  void beat() { last_ = clock_.now(); }
  // Beats every `interval` from a clock timer until stop().
  void run_every(Duration interval);
  void stop() { timer_.cancel(); }

  SteadyTime last() const { return last_; }
  Duration age() const { return clock_.now() - last_; }
  bool fresh(Duration max_age) const { return age() <= max_age; }

 private:
  Clock& clock_;
  SteadyTime last_;
  Duration interval_{};
  Timer timer_;
};

inline void Heartbeat::run_every(Duration interval) {
  interval_ = interval;
  timer_.cancel();
  timer_ = clock_.call_after(interval_, [this] {
    beat();
    run_every(interval_);
  });
}

}  // namespace stackd::runtime

#pragma once
// Periodic full resync: the insurance against lost Docker events and missed
// file changes (level-triggered: "look at everything again").
//
// Like userver's PeriodicTask with a separate exception_period, or Flux's
// interval/retryInterval: every `period` (default 5 min) ±jitter, and after a
// failed resync every `retry_period` (shorter) until one succeeds. Jitter
// keeps several daemons on one engine from resyncing in lock-step.
//
//   ResyncTimer resync(clock, random, {}, [&] { enqueue_everything(); });
//   resync.start();
//   ... when the resync's reconciles finish: resync.report(ok);
#include <functional>

#include "runtime/clock.hpp"

namespace stackd::runtime {

struct ResyncPolicy {
  Duration period = std::chrono::minutes(5);
  Duration retry_period = std::chrono::seconds(30);
  double jitter = 0.1;  // ±10%
};

class ResyncTimer {
 public:
  ResyncTimer(Clock& clock, Random& random, ResyncPolicy policy, std::function<void()> on_resync);
  ~ResyncTimer();
  ResyncTimer(const ResyncTimer&) = delete;
  ResyncTimer& operator=(const ResyncTimer&) = delete;

  // Schedules the first resync one (jittered) period from now. The initial
  // full reconcile at startup is the caller's, not the timer's.
  void start();
  void stop();

  // Outcome of the last resync (or of any full reconcile). A failure pulls
  // the next resync in to retry_period; a success after failures goes back
  // to the normal period.
  void report(bool success);

  // A full resync happened for another reason (SIGHUP, event stream
  // reconnect): push the next periodic one a full period away.
  void restart();

  bool running() const { return running_; }
  bool retrying() const { return retrying_; }
  // When the next resync fires; max() when stopped.
  SteadyTime next_due() const { return running_ ? next_due_ : SteadyTime::max(); }

 private:
  void schedule(Duration base);
  void fire();
  Clock& clock_;
  Random& random_;
  ResyncPolicy policy_;
  std::function<void()> on_resync_;
  Timer timer_;
  SteadyTime next_due_{};
  bool running_ = false;
  bool retrying_ = false;
};

}  // namespace stackd::runtime

#include "runtime/resync_timer.hpp"

namespace stackd::runtime {

ResyncTimer::ResyncTimer(Clock& clock, Random& random, ResyncPolicy policy, std::function<void()> on_resync)
    : clock_(clock), random_(random), policy_(policy), on_resync_(std::move(on_resync)) {}

ResyncTimer::~ResyncTimer() { stop(); }

void ResyncTimer::start() {
  running_ = true;
  retrying_ = false;
  schedule(policy_.period);
}

void ResyncTimer::stop() {
  running_ = false;
  timer_.cancel();
}

void ResyncTimer::schedule(Duration base) {
  timer_.cancel();
  next_due_ = clock_.now() + jittered(base, policy_.jitter, random_);
  timer_ = clock_.call_at(next_due_, [this] { fire(); });
}

void ResyncTimer::fire() {
  // Schedule first: the next period counts from the start of this resync, and
  // the callback may call report()/restart() synchronously.
  schedule(retrying_ ? policy_.retry_period : policy_.period);
  on_resync_();
}

void ResyncTimer::report(bool success) {
  if (!running_) return;
  if (success) {
    if (retrying_) {
      retrying_ = false;
      schedule(policy_.period);
    }
    return;
  }
  retrying_ = true;
  // Pull the next resync in, never push it out: one already due sooner stays.
  const Duration longest_retry =
      policy_.retry_period + std::chrono::duration_cast<Duration>(policy_.retry_period * policy_.jitter);
  if (next_due_ > clock_.now() + longest_retry) schedule(policy_.retry_period);
}

void ResyncTimer::restart() {
  if (!running_) return;
  schedule(retrying_ ? policy_.retry_period : policy_.period);
}

}  // namespace stackd::runtime


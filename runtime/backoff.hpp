#pragma once
// Per-key exponential backoff with jitter (client-go's
// ItemExponentialFailureRateLimiter plus Envoy's JitteredExponentialBackOff).
//
// The n-th consecutive failure of a key waits base * 2^(n-1), capped, then
// scaled by a factor uniform in [1 - jitter, 1 + jitter) and capped again, so
// a crashing container is retried ever more slowly but never slower than cap,
// and many keys failing together do not retry in lock-step. Success calls
// forget(), which resets the key.
#include <map>
#include <string>

#include "runtime/clock.hpp"

namespace stackd::runtime {

struct BackoffPolicy {
  // First retry quickly: one transient failure (engine busy, name still
  // being released) should not delay a drift repair by much.
  Duration base = std::chrono::milliseconds(500);
  Duration cap = std::chrono::minutes(5);
  double jitter = 0.1;  // ±10%
};

class Backoff {
 public:
  Backoff(BackoffPolicy policy, Random& random) : policy_(policy), random_(random) {}

  // Records one more failure of key and returns how long to wait before the
  // next attempt.
  Duration next(const std::string& key);
  // The delay next(key) would be centred on, without jitter or recording.
  Duration peek(const std::string& key) const;
  // Failures recorded since the last forget(key).
  unsigned attempts(const std::string& key) const;
  // Resets the key (after a success).
  void forget(const std::string& key);
  std::size_t tracked() const { return attempts_.size(); }
  const BackoffPolicy& policy() const { return policy_; }

 private:
  Duration unjittered(unsigned failures) const;
  BackoffPolicy policy_;
  Random& random_;
  std::map<std::string, unsigned> attempts_;
};

}  // namespace stackd::runtime

#include "common/accept_backoff.hpp"

#include <algorithm>

namespace stackd {

AcceptBackoff::Decision AcceptBackoff::failed(Clock::time_point now) {
  delay_ = delay_.count() == 0 ? kFirstDelay : std::min(delay_ * 2, kMaxDelay);
  ++total_;
  ++unlogged_;
  Decision d{delay_, std::nullopt};
  if (!last_log_ || now - *last_log_ >= kLogInterval) {
    d.log_failures = unlogged_;
    unlogged_ = 0;
    last_log_ = now;
  }
  return d;
}

}  // namespace stackd

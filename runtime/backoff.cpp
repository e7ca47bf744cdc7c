#include "runtime/backoff.hpp"

#include <algorithm>
#include <cmath>

namespace stackd::runtime {

Duration Backoff::unjittered(unsigned failures) const {
  if (failures == 0) return Duration::zero();
  // In double so that 2^n cannot overflow the integer tick count.
  const double ticks = static_cast<double>(policy_.base.count()) * std::pow(2.0, std::min(failures - 1, 64u));
  const double cap = static_cast<double>(policy_.cap.count());
  return Duration(static_cast<Duration::rep>(std::min(ticks, cap)));
}

Duration Backoff::next(const std::string& key) {
  unsigned& failures = attempts_[key];
  if (failures < 1'000'000) ++failures;
  const Duration delay = jittered(unjittered(failures), policy_.jitter, random_);
  return std::clamp(delay, Duration::zero(), policy_.cap);
}

Duration Backoff::peek(const std::string& key) const { return unjittered(attempts(key) + 1); }

unsigned Backoff::attempts(const std::string& key) const {
  auto it = attempts_.find(key);
  return it == attempts_.end() ? 0 : it->second;
}

void Backoff::forget(const std::string& key) { attempts_.erase(key); }

}  // namespace stackd::runtime

#pragma once
// Container specs that did not run (the engine refused to start the
// container, or it exited at once: a taken port, a bad flag, no GPU device
// driver), so the daemon does not make the same failing container again in a
// tight loop while its own events keep waking the key. Each failure of one
// spec doubles the wait before that spec is tried again, from 30 s up to
// 30 min; another spec (an edit of the manifest) is tried at once. Pure: the
// caller passes "now".
#include <map>
#include <optional>
#include <string>

#include "runtime/clock.hpp"

namespace stackd::containers {

class SpecFailures {
 public:
  struct Failure {
    std::string spec_hash;
    std::string reason;   // the Degraded reason: StartFailed, RecreateRolledBack
    std::string message;
    runtime::SteadyTime retry_at{};
    int count = 0;
  };

  // The failure that still holds for this component's spec at `now`: the
  // pass reports it instead of acting.
  const Failure* holding(const std::string& component, const std::string& spec_hash, runtime::SteadyTime now) const;
  // Records a failure of `spec_hash`; returns how long to wait before it is tried again.
  runtime::Duration failed(const std::string& component, const std::string& spec_hash, std::string reason,
                           std::string message, runtime::SteadyTime now);
  void succeeded(const std::string& component) { failures_.erase(component); }

  static constexpr runtime::Duration kFirstWait = std::chrono::seconds(30);
  static constexpr runtime::Duration kLongestWait = std::chrono::minutes(30);

 private:
  std::map<std::string, Failure> failures_;  // by component
};

}  // namespace stackd::containers

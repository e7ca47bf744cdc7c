#pragma once
// Keeps stackd from locking Grafana's admin out. Grafana blocks a user after
// 5 failed logins within 5 minutes, and a blocked user is refused even with
// the right password (humans included); basic auth goes through the same
// check. So credentials Grafana rejected are not sent again until they change
// (another password, user, token or URL is another key) or `retry_after` has
// passed, however often the caller reconciles. Keys are digests, never the
// secrets themselves.
#include <map>
#include <optional>
#include <string>

#include "runtime/clock.hpp"

namespace stackd::grafana {

class LoginGuard {
 public:
  // 6 minutes: longer than Grafana's 5-minute window, so one retry's failures
  // never share a window with the previous retry's.
  static constexpr runtime::Duration kDefaultRetryAfter = std::chrono::minutes(6);

  explicit LoginGuard(runtime::Clock& clock, runtime::Duration retry_after = kDefaultRetryAfter)
      : clock_(clock), retry_after_(retry_after) {}

  // The key of one set of credentials sent to one Grafana.
  static std::string key(const std::string& base_url, const std::string& user, const std::string& secret);

  // The message of the rejection that still stands for `key`, if any.
  std::optional<std::string> refused(const std::string& key) const;
  void rejected(const std::string& key, std::string message);
  void accepted(const std::string& key) { rejected_.erase(key); }
  // When `key` may be tried again (now() if it may be tried now).
  runtime::SteadyTime retry_at(const std::string& key) const;
  runtime::Duration retry_after() const { return retry_after_; }

 private:
  struct Rejection {
    runtime::SteadyTime at;
    std::string message;
  };
  runtime::Clock& clock_;
  runtime::Duration retry_after_;
  std::map<std::string, Rejection> rejected_;
};

}  // namespace stackd::grafana

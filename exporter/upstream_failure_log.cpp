#include "exporter/upstream_failure_log.hpp"

#include <cstdio>

namespace stackd::exporter {

namespace {
std::string seconds(std::chrono::steady_clock::duration d) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f s", std::chrono::duration<double>(d).count());
  return buf;
}
}  // namespace

std::optional<std::string> UpstreamFailureLog::failed(std::string_view reason, Clock::time_point now) {
  if (!failing_) {
    failing_ = true;
    failures_ = 1;
    since_ = now;
    reason_ = reason;
    return "ollama at " + upstream_ + " fails requests: " + reason_ +
           " (clients get 502/504; logged again when the reason changes and when it recovers)";
  }
  ++failures_;
  if (reason == reason_) return std::nullopt;
  reason_ = reason;
  return "ollama at " + upstream_ + " now fails requests: " + reason_ + " (" + std::to_string(failures_) +
         " failed request(s) in " + seconds(now - since_) + ")";
}

std::string UpstreamFailureLog::recovered(Clock::time_point now) {
  failing_ = false;
  return "ollama at " + upstream_ + " answers again, after " + std::to_string(failures_) + " failed request(s) in " +
         seconds(now - since_);
}

}  // namespace stackd::exporter

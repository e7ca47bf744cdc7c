#pragma once
// When the proxy logs that Ollama fails its requests (cannot be reached,
// closes without answering, stays silent): once when requests start failing,
// with the reason; again only when the reason changes; and once when a
// request gets through again, saying how many failed meanwhile and for how
// long. With Ollama down and clients retrying, a line per failed request
// would be thousands a minute. Reasons are short messages (an error code's
// message), never an exception's what(), which for Boost.System errors
// carries a source location.
//
// Pure logic: the caller passes the time and logs what comes back.
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace stackd::exporter {

class UpstreamFailureLog {
 public:
  using Clock = std::chrono::steady_clock;
  explicit UpstreamFailureLog(std::string upstream) : upstream_(std::move(upstream)) {}

  // A request failed for `reason`; a line to log, or nullopt.
  std::optional<std::string> failed(std::string_view reason, Clock::time_point now);
  // A request got an answer; a line to log when this ends a failing period.
  std::optional<std::string> succeeded(Clock::time_point now) {
    if (!failing_) return std::nullopt;  // the common case: nothing to do
    return recovered(now);
  }
  bool failing() const { return failing_; }

 private:
  std::string recovered(Clock::time_point now);

  std::string upstream_;
  bool failing_ = false;
  std::string reason_;
  std::uint64_t failures_ = 0;  // since failing began
  Clock::time_point since_;
};

}  // namespace stackd::exporter

#pragma once
// What an accept loop does when accept() fails (EMFILE/ENFILE when the
// process or the system is out of file descriptors, ENOBUFS, ENOMEM): the
// pending connection stays in the listen queue, so the listener stays
// readable and an accept loop that simply retries spins at 100% CPU. Like
// Go's net/http Server.Serve, wait 5 ms after the first failure, doubling to
// 1 s, and start again at 5 ms after a success. Log lines are bounded: one
// for the first failure, then at most one a minute, each saying how many
// failures it stands for.
//
// Pure logic: the caller passes the time and sleeps; the loop should also
// retry at once when one of its own connections closes (a descriptor is free).
#include <chrono>
#include <cstdint>
#include <optional>

namespace stackd {

class AcceptBackoff {
 public:
  using Clock = std::chrono::steady_clock;
  static constexpr std::chrono::milliseconds kFirstDelay{5};
  static constexpr std::chrono::milliseconds kMaxDelay{1000};
  static constexpr std::chrono::seconds kLogInterval{60};

  struct Decision {
    std::chrono::milliseconds delay;          // how long to wait before accepting again
    std::optional<std::uint64_t> log_failures;  // set: log now, covering this many failures
  };

  // A failed accept at `now`.
  Decision failed(Clock::time_point now);
  // A successful accept: the next failure waits kFirstDelay again.
  void succeeded() { delay_ = std::chrono::milliseconds{0}; }

  std::uint64_t total_failures() const { return total_; }

 private:
  std::chrono::milliseconds delay_{0};
  std::uint64_t total_ = 0;
  std::uint64_t unlogged_ = 0;
  std::optional<Clock::time_point> last_log_;
};

}  // namespace stackd

#pragma once
// The git source: fetches the ref every interval (and at once when the
// webhook says so) and says "look again at the manifest" only when the ref
// names a commit the loader has not decided on yet. An unchanged commit is
// no work at all. A failed fetch is retried with exponential backoff and
// jitter; the last good commit stays applied meanwhile.
#include <boost/asio/any_io_executor.hpp>

#include <memory>

#include "runtime/backoff.hpp"
#include "runtime/clock.hpp"
#include "runtime/source.hpp"
#include "sources/git/git_tracker.hpp"

namespace stackd::git {

struct GitSourceConfig {
  runtime::Duration interval = std::chrono::seconds(60);
  // A failing remote is asked again after 2 s, 4 s, ... (jittered), never
  // later than one interval: backing off must not make recovery slower than
  // the polling the user chose.
  runtime::BackoffPolicy backoff{std::chrono::seconds(2), std::chrono::minutes(5), 0.2};
};

class GitSource final : public runtime::Source {
 public:
  GitSource(boost::asio::any_io_executor executor, runtime::Clock& clock, runtime::Random& random,
            GitTracker& tracker, GitSourceConfig config = {});
  ~GitSource() override;

  std::string_view name() const override { return "git"; }
  void start(runtime::Enqueue enqueue) override;
  void stop() override;
  nlohmann::json status() const override;

  // Fetch now (the webhook); coalesces with a fetch in flight.
  void trigger();
  std::uint64_t fetches_started() const { return fetches_; }

 private:
  void schedule(runtime::Duration delay);
  void poll();
  boost::asio::awaitable<void> fetch_and_decide();

  boost::asio::any_io_executor executor_;
  runtime::Clock& clock_;
  GitTracker& tracker_;
  GitSourceConfig config_;
  runtime::Backoff backoff_;
  runtime::Enqueue enqueue_;
  runtime::Timer timer_;
  bool running_ = false;
  bool in_flight_ = false;
  bool again_ = false;
  std::uint64_t fetches_ = 0;
  std::optional<std::string> enqueued_;  // last commit we asked the loader about
  std::optional<runtime::SteadyTime> next_fetch_;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace stackd::git

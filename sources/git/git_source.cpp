#include "sources/git/git_source.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>

#include <spdlog/spdlog.h>

namespace stackd::git {
namespace net = boost::asio;

GitSource::GitSource(net::any_io_executor executor, runtime::Clock& clock, runtime::Random& random,
                     GitTracker& tracker, GitSourceConfig config)
    : executor_(std::move(executor)), clock_(clock), tracker_(tracker), config_(config), backoff_(config.backoff, random) {}

GitSource::~GitSource() {
  *alive_ = false;
  timer_.cancel();
}

void GitSource::start(runtime::Enqueue enqueue) {
  enqueue_ = std::move(enqueue);
  running_ = true;
  schedule(runtime::Duration::zero());
}

void GitSource::stop() {
  running_ = false;
  timer_.cancel();
  next_fetch_.reset();
}

void GitSource::trigger() {
  if (!running_) return;
  if (in_flight_) {
    // The fetch in flight may have started before the push: one more after it.
    again_ = true;
    return;
  }
  schedule(runtime::Duration::zero());
}

void GitSource::schedule(runtime::Duration delay) {
  timer_.cancel();
  next_fetch_ = clock_.now() + delay;
  std::weak_ptr<bool> alive = alive_;
  timer_ = clock_.call_after(delay, [this, alive] {
    if (alive.lock() && *alive.lock()) poll();
  });
}

void GitSource::poll() {
  if (!running_ || in_flight_) return;
  in_flight_ = true;
  next_fetch_.reset();
  ++fetches_;
  net::co_spawn(executor_, fetch_and_decide(), net::detached);
}

net::awaitable<void> GitSource::fetch_and_decide() {
  std::weak_ptr<bool> alive = alive_;
  runtime::Duration next = config_.interval;
  try {
    auto result = co_await tracker_.fetch();
    if (!alive.lock() || !*alive.lock()) co_return;
    backoff_.forget("git");
    const auto revision = tracker_.revision(result.commit);
    if (tracker_.decided(result.commit) || enqueued_ == result.commit) {
      spdlog::debug("git: {} unchanged", revision);
    } else {
      spdlog::info("git: new revision {}; loading its manifest", revision);
      enqueued_ = result.commit;
      if (running_ && enqueue_.key) enqueue_.key(std::string(runtime::kManifestKey));
    }
  } catch (const FetchError& e) {
    if (!alive.lock() || !*alive.lock()) co_return;
    next = std::min(backoff_.next("git"), std::max(config_.interval, config_.backoff.base));
    const auto applied = tracker_.applied_commit();
    spdlog::warn("git: {}; keeping {}; next attempt in {} ms", e.what(),
                 applied ? tracker_.revision(*applied) : std::string("nothing applied yet"),
                 std::chrono::duration_cast<std::chrono::milliseconds>(next).count());
  } catch (const std::exception& e) {
    if (!alive.lock() || !*alive.lock()) co_return;
    next = backoff_.next("git");
    spdlog::error("git: fetch failed: {}", e.what());
  }
  in_flight_ = false;
  if (!running_) co_return;
  if (again_) {
    again_ = false;
    next = runtime::Duration::zero();
  }
  schedule(next);
}

nlohmann::json GitSource::status() const {
  auto s = tracker_.status();
  s["interval"] = std::to_string(std::chrono::duration_cast<std::chrono::seconds>(config_.interval).count()) + "s";
  if (next_fetch_) {
    auto in = std::chrono::duration_cast<std::chrono::milliseconds>(*next_fetch_ - clock_.now()).count();
    s["nextFetchInMs"] = std::max<long long>(0, in);
  }
  return s;
}

}  // namespace stackd::git

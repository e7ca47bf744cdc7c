#include "sources/git/git_tracker.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <spdlog/spdlog.h>

#include "common/metrics/metrics.hpp"

namespace stackd::git {
namespace net = boost::asio;

namespace {
// The blocking work, as plain coroutines run on the worker: parameters by
// value live in the coroutine frame (GCC 12 mishandles captures of coroutine
// lambdas handed to co_spawn: the captured string was freed twice).
net::awaitable<FetchResult> fetch_on(GitRepository* repo) { co_return repo->fetch(); }
net::awaitable<std::filesystem::path> checkout_on(GitRepository* repo, std::string commit) {
  co_return repo->checkout(commit);
}
net::awaitable<std::optional<std::string>> local_commit_on(GitRepository* repo) { co_return repo->local_commit(); }

std::string iso8601(runtime::SystemTime t) {
  auto secs = std::chrono::system_clock::to_time_t(std::chrono::time_point_cast<std::chrono::seconds>(t));
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}
}  // namespace

GitTracker::GitTracker(GitRepositoryConfig config, runtime::Clock& clock, metrics::Registry* registry)
    : repo_(std::move(config)), clock_(clock), ref_(repo_.config().ref), display_url_(repo_.config().remote.display) {
  if (registry)
    revision_info_ = &registry->gauge("stackd_source_revision_info",
                                      "The revision the source last fetched (value 1).", {"source", "revision"});
}

GitTracker::~GitTracker() { stop(); }

void GitTracker::stop() {
  {
    std::lock_guard lock(mu_);
    if (stopped_) return;
    stopped_ = true;
  }
  repo_.cancel();
  worker_.join();
}

net::awaitable<FetchResult> GitTracker::fetch() {
  try {
    auto result = co_await net::co_spawn(worker_, fetch_on(&repo_), net::use_awaitable);
    std::optional<std::string> previous;
    {
      std::lock_guard lock(mu_);
      previous = latest_;
      latest_ = result.commit;
      fetched_at_ = clock_.system_now();
      if (last_error_)
        spdlog::info("git: {} reachable again after {} failed fetch(es)", display_url_, failures_);
      last_error_.reset();
      error_since_.reset();
      failures_ = 0;
    }
    if (result.recreated)
      spdlog::warn("git: the local copy under {} was broken and has been fetched again", repo_.config().dir.string());
    if (previous != result.commit) set_revision_metric(revision(result.commit));
    co_return result;
  } catch (const FetchError& e) {
    std::lock_guard lock(mu_);
    if (!error_since_) error_since_ = clock_.system_now();
    last_error_ = e.what();
    ++failures_;
    throw;
  }
}

net::awaitable<std::filesystem::path> GitTracker::checkout(std::string commit) {
  co_return co_await net::co_spawn(worker_, checkout_on(&repo_, std::move(commit)), net::use_awaitable);
}

net::awaitable<std::optional<std::string>> GitTracker::local_commit() {
  auto commit = co_await net::co_spawn(worker_, local_commit_on(&repo_), net::use_awaitable);
  if (commit) {
    std::lock_guard lock(mu_);
    if (!latest_) latest_ = commit;
  }
  co_return commit;
}

void GitTracker::keep_only(const std::vector<std::string>& commits) {
  net::post(worker_, [this, commits] { repo_.prune(commits); });
}

std::optional<std::string> GitTracker::latest() const {
  std::lock_guard lock(mu_);
  return latest_;
}

void GitTracker::applied(const std::string& commit) {
  std::lock_guard lock(mu_);
  applied_ = commit;
  if (rejected_commit_ == commit) rejected_commit_.reset();
}

void GitTracker::rejected(const std::string& commit, const std::string& why) {
  std::lock_guard lock(mu_);
  rejected_commit_ = commit;
  rejected_why_ = why;
}

std::optional<std::string> GitTracker::applied_commit() const {
  std::lock_guard lock(mu_);
  return applied_;
}

bool GitTracker::decided(const std::string& commit) const {
  std::lock_guard lock(mu_);
  return applied_ == commit || rejected_commit_ == commit;
}

std::string GitTracker::revision(const std::string& commit) const { return ref_ + "@sha1:" + commit; }

void GitTracker::set_revision_metric(const std::string& revision) {
  if (!revision_info_) return;
  revision_info_->retain({});
  revision_info_->with({"git", revision}).set(1);
}

nlohmann::json GitTracker::status() const {
  std::lock_guard lock(mu_);
  nlohmann::json s = {{"url", display_url_}, {"ref", ref_}, {"pinned", repo_.pinned()}};
  if (latest_) s["revision"] = revision(*latest_);
  if (applied_) s["appliedRevision"] = revision(*applied_);
  if (fetched_at_) s["fetchedAt"] = iso8601(*fetched_at_);
  if (last_error_) {
    s["lastError"] = *last_error_;
    s["lastErrorSince"] = iso8601(*error_since_);
    s["consecutiveFailures"] = failures_;
  }
  if (rejected_commit_) s["invalidRevision"] = {{"revision", revision(*rejected_commit_)}, {"reason", "SourceInvalid"}, {"message", rejected_why_}};
  return s;
}

}  // namespace stackd::git

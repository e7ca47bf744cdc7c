#pragma once
// What the git source and the git snapshot loader share: the local
// repository, the one worker thread every git command runs on (a fetch
// blocks for up to its deadline; the daemon's event loop never does), and
// what people see about the source: the revision, when it was fetched, the
// last error and since when.
//
// All members except the blocking work are used on the daemon's executor.
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/thread_pool.hpp>
#include <nlohmann/json.hpp>

#include <filesystem>
#include <mutex>
#include <optional>
#include <string>

#include "runtime/clock.hpp"
#include "sources/git/git_repository.hpp"

namespace stackd::metrics {
class GaugeFamily;
class Registry;
}  // namespace stackd::metrics

namespace stackd::git {

class GitTracker {
 public:
  // registry may be null (CLI verbs): then no metric.
  GitTracker(GitRepositoryConfig config, runtime::Clock& clock, metrics::Registry* registry = nullptr);
  ~GitTracker();
  GitTracker(const GitTracker&) = delete;
  GitTracker& operator=(const GitTracker&) = delete;

  // Fetches on the worker thread; records the outcome. Throws FetchError.
  boost::asio::awaitable<FetchResult> fetch();
  // Writes (once) and returns the directory with `commit`'s files, on the worker.
  boost::asio::awaitable<std::filesystem::path> checkout(std::string commit);
  // The commit the last successful fetch named; at start, the one a previous
  // run left in the state directory.
  std::optional<std::string> latest() const;
  boost::asio::awaitable<std::optional<std::string>> local_commit();

  // The loader's verdict on a commit.
  void applied(const std::string& commit);
  void rejected(const std::string& commit, const std::string& why);
  std::optional<std::string> applied_commit() const;
  // Was this commit already loaded or rejected? (Then it needs no work.)
  bool decided(const std::string& commit) const;

  // "REF@sha1:COMMIT".
  std::string revision(const std::string& commit) const;
  const std::string& ref() const { return ref_; }
  const std::string& display_url() const { return display_url_; }
  nlohmann::json status() const;

  // Kills a running git and makes later ones fail fast; stop() then joins.
  void stop();
  void keep_only(const std::vector<std::string>& commits);

 private:
  void set_revision_metric(const std::string& revision);
  GitRepository repo_;
  runtime::Clock& clock_;
  metrics::GaugeFamily* revision_info_ = nullptr;
  boost::asio::thread_pool worker_{1};
  std::string ref_;
  std::string display_url_;

  mutable std::mutex mu_;
  std::optional<std::string> latest_;
  std::optional<std::string> applied_;
  std::optional<runtime::SystemTime> fetched_at_;
  std::optional<std::string> last_error_;
  std::optional<runtime::SystemTime> error_since_;
  unsigned failures_ = 0;
  std::optional<std::string> rejected_commit_;
  std::string rejected_why_;
  bool stopped_ = false;
};

}  // namespace stackd::git

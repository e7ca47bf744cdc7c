#include "sources/git/git_snapshot_loader.hpp"

#include <spdlog/spdlog.h>

#include "api/v1alpha1/diagnostics.hpp"
#include "runtime/reconciler.hpp"

namespace stackd::git {
namespace fs = std::filesystem;
using runtime::ReconcileError;

std::string normalize_path_in_repo(const std::string& path) {
  auto p = fs::path(path).lexically_normal();
  if (path.empty() || p.is_absolute() || p.empty() || *p.begin() == "..")
    throw std::invalid_argument("--git-path must be a relative path inside the repository: '" + path + "'");
  return p.string();
}

std::string relative_to_commit(std::string message, const fs::path& commit_dir) {
  const auto prefix = commit_dir.string() + "/";
  for (std::size_t at; (at = message.find(prefix)) != std::string::npos;) message.erase(at, prefix.size());
  return message;
}

GitSnapshotLoader::GitSnapshotLoader(GitTracker& tracker, std::string path_in_repo, SnapshotBuilder build)
    : tracker_(tracker), path_(normalize_path_in_repo(path_in_repo)), build_(std::move(build)) {}

boost::asio::awaitable<desired::SnapshotPtr> GitSnapshotLoader::load() {
  auto commit = tracker_.latest();
  if (!commit) {
    std::string fetch_error;
    try {
      commit = (co_await tracker_.fetch()).commit;
    } catch (const FetchError& e) {
      fetch_error = e.what();
    }
    if (!commit) {
      // A restart while the remote is down: the commit the previous run
      // fetched is still here and is what was applied.
      commit = co_await tracker_.local_commit();
      if (!commit) throw ReconcileError("SourceUnavailable", fetch_error, ReconcileError::Retry::Backoff);
      spdlog::warn("git: {}; using {} from the previous run", fetch_error, tracker_.revision(*commit));
    }
  }
  const auto revision = tracker_.revision(*commit);
  auto reject = [&](const std::string& why) {
    const auto message = "commit " + revision + ": " + why;
    tracker_.rejected(*commit, message);
    spdlog::error("git: rejected {}: {}; the last good revision stays", revision, why);
    return ReconcileError("SourceInvalid", message, ReconcileError::Retry::Never);
  };
  fs::path dir;
  std::optional<FetchError> checkout_error;
  try {
    dir = co_await tracker_.checkout(*commit);
  } catch (const FetchError& e) {
    checkout_error = e;
  }
  if (checkout_error) {
    if (checkout_error->kind() == FetchError::Kind::TooLarge) throw reject(checkout_error->what());
    throw ReconcileError("SourceUnavailable", checkout_error->what(), ReconcileError::Retry::Backoff);
  }
  const fs::path manifest_path = dir / path_;
  std::error_code ec;
  if (!fs::is_regular_file(manifest_path, ec)) throw reject(path_ + ": no such file in the repository");
  // A stack renamed in the same repository and path is the same stack.
  desired::SourceRevision source{"git", revision, tracker_.display_url(), "git:" + tracker_.display_url() + "#" + path_};
  desired::SnapshotPtr snapshot;
  std::optional<std::string> invalid;
  try {
    snapshot = co_await build_(manifest_path, source);
  } catch (const ReconcileError& e) {
    if (e.retry() != ReconcileError::Retry::Never) throw;
    invalid = e.what();
  } catch (const manifest::ManifestError& e) {
    invalid = e.what();
  } catch (const std::invalid_argument& e) {
    invalid = e.what();
  }
  if (invalid) throw reject(relative_to_commit(*invalid, dir));
  const auto previous = tracker_.applied_commit();
  tracker_.applied(*commit);
  // The previous commit's directory is kept one round: a pass started on it
  // may still read it.
  std::vector<std::string> keep{*commit};
  if (previous) keep.push_back(*previous);
  tracker_.keep_only(keep);
  spdlog::info("git: loaded {} ({})", revision, path_);
  co_return snapshot;
}

}  // namespace stackd::git

#pragma once
// The local copy of one remote ref: a bare, shallow repository under the
// state directory, reused across restarts, and one immutable directory per
// commit holding that commit's files.
//
//   <dir>/repo/               bare repository; refs/stackd/target = the ref's commit
//   <dir>/commits/<sha>/      the files of <sha> (written to a temporary name, then renamed)
//   <dir>/lock                flock held while this process uses <dir>
//
// fetch() asks the remote for the ref only (depth 1, no tags, forced refspec:
// force-pushes and rewritten history are followed). A full 40-hex SHA is a
// pin: once present it is never fetched again. A kill -9 in the middle of a
// fetch leaves lock files or a broken repository behind: stale locks are
// removed (the flock proves nobody else uses them) and a repository that
// fails `git fsck --connectivity-only` is deleted and fetched again.
//
// Blocking: the git source calls it from its own worker thread.
#include <atomic>
#include <filesystem>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "sources/git/git_auth.hpp"
#include "sources/git/git_process.hpp"
#include "sources/git/git_url.hpp"

namespace stackd::git {

struct GitRepositoryConfig {
  RemoteUrl remote;
  std::string ref = "main";  // branch, tag, or full 40-hex SHA (a pin)
  std::filesystem::path dir;   // e.g. <state>/git/<hash of url and ref>
  GitAuth auth;
  ProcessLimits fetch_limits;  // deadline and size bound of one fetch
  std::size_t max_checkout_bytes = 64 * 1024 * 1024;  // all files of one commit
  std::string git = "git";
};

class FetchError : public std::runtime_error {
 public:
  enum class Kind { Remote, RefNotFound, Timeout, TooLarge, Local };
  FetchError(Kind kind, const std::string& message) : std::runtime_error(message), kind_(kind) {}
  Kind kind() const { return kind_; }

 private:
  Kind kind_;
};

struct FetchResult {
  std::string commit;  // 40 hex
  bool recreated = false;  // the local repository was broken and rebuilt
};

class GitRepository {
 public:
  // Takes the flock on <dir>/lock; throws when another process holds it.
  explicit GitRepository(GitRepositoryConfig config);
  ~GitRepository();
  GitRepository(const GitRepository&) = delete;
  GitRepository& operator=(const GitRepository&) = delete;

  // Brings refs/stackd/target up to the remote's ref. Throws FetchError with
  // a message safe to show (URL redacted, secrets scrubbed).
  FetchResult fetch();
  // The commit refs/stackd/target holds locally (a previous run's), if any.
  std::optional<std::string> local_commit();
  // The directory holding the files of `commit`; written on first use.
  // Throws FetchError(TooLarge/Local) when the commit cannot be written out.
  std::filesystem::path checkout(const std::string& commit);
  // Removes commit directories except those listed.
  void prune(const std::vector<std::string>& keep);
  // Kills a running git command (from any thread); later calls fail fast
  // until resume().
  void cancel() { runner_.cancel(); }
  void resume() { runner_.reset(); }

  bool pinned() const { return pinned_; }
  const GitRepositoryConfig& config() const { return config_; }
  std::filesystem::path repo_dir() const { return config_.dir / "repo"; }

 private:
  ProcessResult git(std::vector<std::string> args, const ProcessLimits& limits, bool with_credentials = false);
  std::string safe(const std::string& text) const;
  void ensure_repository();
  void recreate_repository();
  bool healthy();
  bool wrote_file_at_limit() const;
  void remove_stale_locks();
  FetchResult fetch_once();

  GitRepositoryConfig config_;
  bool pinned_ = false;
  std::filesystem::path askpass_;
  std::vector<std::string> env_;
  std::vector<std::string> secrets_;
  ProcessRunner runner_;
  int lock_fd_ = -1;
  bool checked_ = false;  // fsck ran once in this process
};

// A full commit SHA (40 hex, lowercase or not).
bool is_full_sha(const std::string& ref);

}  // namespace stackd::git

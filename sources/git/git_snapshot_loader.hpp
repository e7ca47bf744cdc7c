#pragma once
// The desired state read from a commit: the loader takes the commit the git
// source last fetched (fetching first when none is known), writes that
// commit's files into their own directory and hands the manifest at PATH to
// the snapshot builder, the same one the file source uses, stamped with the
// revision REF@sha1:COMMIT.
//
// A commit that cannot become a snapshot (PATH missing, invalid manifest,
// rules promtool rejects: whatever the builder refuses) is SourceInvalid,
// terminal until the next commit, with the commit and the file:line:col
// relative to the repository; the last good snapshot stays.
#include <functional>
#include <string>

#include "runtime/snapshot_loader.hpp"
#include "sources/git/git_tracker.hpp"

namespace stackd::git {

// Builds a snapshot from a manifest file on disk (every referenced file is
// resolved relative to it). Throws runtime::ReconcileError with Retry::Never
// or manifest::ManifestError for an invalid manifest.
using SnapshotBuilder = std::function<boost::asio::awaitable<desired::SnapshotPtr>(
    const std::filesystem::path& manifest_path, const desired::SourceRevision& source)>;

class GitSnapshotLoader final : public runtime::SnapshotLoader {
 public:
  GitSnapshotLoader(GitTracker& tracker, std::string path_in_repo, SnapshotBuilder build);
  boost::asio::awaitable<desired::SnapshotPtr> load() override;
  // Nothing to watch: the git source polls.
  std::vector<std::filesystem::path> watched_paths(const desired::Snapshot*) const override { return {}; }

 private:
  GitTracker& tracker_;
  std::string path_;
  SnapshotBuilder build_;
};

// Replaces "<commit dir>/" in a builder's message by "" so that it names
// files as they are in the repository ("deploy/stack.yaml:3:5: ...").
std::string relative_to_commit(std::string message, const std::filesystem::path& commit_dir);

// Rejects PATH values that leave the repository or are absolute.
std::string normalize_path_in_repo(const std::string& path);

}  // namespace stackd::git

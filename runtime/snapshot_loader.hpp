#pragma once
// Where the desired state comes from: a manifest file (controller/file_loader)
// or a commit of a git repository (the git source). The runtime calls load()
// for the "manifest" key; a new revision replaces the pinned snapshot and
// enqueues every reconciler's keys, an invalid one changes nothing.
#include <boost/asio/awaitable.hpp>

#include <filesystem>
#include <vector>

#include "desired/snapshot.hpp"

namespace stackd::runtime {

class SnapshotLoader {
 public:
  virtual ~SnapshotLoader() = default;
  // Reads, bounds, validates and renders the desired state as it is now.
  // Throws ReconcileError with Retry::Never (reason ManifestInvalid, or
  // SourceInvalid for a bad commit) when it is invalid: the last good
  // snapshot stays; other exceptions (a fetch failed) are retried.
  virtual boost::asio::awaitable<desired::SnapshotPtr> load() = 0;
  // Files whose edits should trigger load() (watched by the file source):
  // the manifest and everything `current` references, the directories of its
  // globs. current is null before the first valid load.
  virtual std::vector<std::filesystem::path> watched_paths(const desired::Snapshot* current) const = 0;
};

}  // namespace stackd::runtime

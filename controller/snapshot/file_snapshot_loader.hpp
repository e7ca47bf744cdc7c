#pragma once
// The file source's SnapshotLoader: the manifest on disk and what it
// references, read once, bounded and validated (api/v1alpha1/loader), the
// secrets it points at resolved, and every reconciler's objects rendered once
// so that a snapshot that exists always renders.
#include <optional>
#include <string>

#include "clients/docker/docker_api.hpp"
#include "controller/snapshot/own_image_lookup.hpp"
#include "runtime/snapshot_loader.hpp"

namespace stackd::snapshot {

struct SnapshotOptions {
  std::string state_dir;
  bool allow_empty = false;
  // The image stackd itself runs from (docker::own_image), the Ollama
  // exporter's image when the manifest names none; empty: STACKD_IMAGE, else
  // stackd:VERSION.
  std::string own_image;
};

// A snapshot in two steps, for a manifest file (and for the manifest of a
// git commit): load_for_snapshot reads and validates the files, then
// build_snapshot renders and checks everything from what was read. Between
// them a loader looks up stackd's own image for a manifest that needs it, so
// each snapshot is built once. Both throw runtime::ReconcileError(reason,
// ..., Retry::Never) for an invalid manifest; manifest_path is named as the
// user named it, for messages.
manifest::Manifest load_for_snapshot(const std::string& manifest_path, const SnapshotOptions& options,
                                     const std::string& invalid_reason = "ManifestInvalid");
manifest::SnapshotPtr build_snapshot(const std::string& manifest_path, manifest::Manifest loaded,
                                     manifest::SourceRevision source, const SnapshotOptions& options,
                                     const std::string& invalid_reason = "ManifestInvalid");

// Every path whose edit should re-read the desired state: the manifest, each
// referenced file, and the directory of each glob (a new file matching it).
std::vector<std::filesystem::path> watched_paths(const std::string& manifest_path, const manifest::Snapshot* current);

class FileSnapshotLoader final : public runtime::SnapshotLoader {
 public:
  // With `docker`, the first load looks up the image stackd runs from.
  FileSnapshotLoader(std::string manifest_path, SnapshotOptions options, docker::Api* docker = nullptr);
  // The manifest as the caller just loaded it from manifest_path (the CLI,
  // to print its problems first): the first load() builds from it instead of
  // reading the files again.
  void start_from(manifest::Manifest loaded) { first_ = std::move(loaded); }
  boost::asio::awaitable<manifest::SnapshotPtr> load() override;
  std::vector<std::filesystem::path> watched_paths(const manifest::Snapshot* current) const override;

 private:
  std::string manifest_path_;
  SnapshotOptions options_;
  OwnImageLookup own_image_;
  std::optional<manifest::Manifest> first_;
};

}  // namespace stackd::snapshot

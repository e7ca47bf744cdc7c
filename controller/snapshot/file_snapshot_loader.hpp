#pragma once
// The file source's SnapshotLoader: the manifest on disk and what it
// references, read once, bounded and validated (api/v1alpha1/loader), the
// secrets it points at resolved, and the desired state rendered once
// (desired/render.hpp): a snapshot that exists always renders.
#include <optional>
#include <string>

#include "clients/docker/docker_api.hpp"
#include "controller/snapshot/engine_facts.hpp"
#include "controller/snapshot/grafana_password_lookup.hpp"
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
  // `stackd diff`: nothing is written (no password generated or stored).
  bool read_only = false;
  // What the engine says of itself (EngineFactsLookup); nullopt: not asked.
  std::optional<docker::EngineInfo> engine;
  // Where the host's sysfs is, for spec.gpu.vendor: auto (its amdgpu cards).
  std::filesystem::path sysfs = "/sys";
  // The admin password the stack's Grafana container holds (GrafanaPasswordLookup).
  std::optional<std::string> running_grafana_password;
  // desired::ResolvedValues::daemon_serves_metrics: set by `stackd run` (and
  // by apply --force and diff beside a daemon).
  bool daemon_serves_metrics = false;
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
desired::SnapshotPtr build_snapshot(const std::string& manifest_path, manifest::Manifest loaded,
                                     desired::SourceRevision source, const SnapshotOptions& options,
                                     const std::string& invalid_reason = "ManifestInvalid");

// Every path whose edit should re-read the desired state: the manifest, each
// referenced file, and the directory of each glob (a new file matching it).
std::vector<std::filesystem::path> watched_paths(const std::string& manifest_path, const desired::Snapshot* current);

class FileSnapshotLoader final : public runtime::SnapshotLoader {
 public:
  // With `docker`, the first load looks up the image stackd runs from.
  FileSnapshotLoader(std::string manifest_path, SnapshotOptions options, docker::Api* docker = nullptr);
  // The manifest as the caller just loaded it from manifest_path (the CLI,
  // to print its problems first): the first load() builds from it instead of
  // reading the files again.
  void start_from(manifest::Manifest loaded) { first_ = std::move(loaded); }
  // Where the manifest comes from, when it is not the file itself (a git
  // commit checked out by `diff --git-*`).
  void describe_source_as(desired::SourceRevision source) { source_ = std::move(source); }
  boost::asio::awaitable<desired::SnapshotPtr> load() override;
  std::vector<std::filesystem::path> watched_paths(const desired::Snapshot* current) const override;

 private:
  std::string manifest_path_;
  SnapshotOptions options_;
  OwnImageLookup own_image_;
  EngineFactsLookup engine_facts_;
  GrafanaPasswordLookup grafana_password_;
  std::optional<manifest::Manifest> first_;
  std::optional<desired::SourceRevision> source_;
};

}  // namespace stackd::snapshot

#include "controller/snapshot/file_snapshot_loader.hpp"

#include <set>
#include <utility>

#include "api/v1alpha1/diagnostics.hpp"
#include "api/v1alpha1/loader.hpp"
#include "clients/docker/self_container.hpp"
#include "controller/snapshot/render_context.hpp"
#include "reconcilers/containers/desired_state.hpp"
#include "reconcilers/grafana/grafana_api_reconciler.hpp"
#include "reconcilers/infrastructure/infrastructure_reconciler.hpp"
#include "runtime/reconciler.hpp"

namespace stackd::snapshot {

namespace fs = std::filesystem;
using runtime::ReconcileError;

namespace {
// A manifest that cannot become a snapshot: the same bytes fail the same way.
ReconcileError invalid_manifest(const std::string& reason, const std::string& message) {
  return ReconcileError(reason, message, ReconcileError::Retry::Never);
}
}  // namespace

manifest::Manifest load_for_snapshot(const std::string& manifest_path, const SnapshotOptions& options,
                                     const std::string& invalid_reason) {
  manifest::LoadOptions lo;
  lo.allow_empty = options.allow_empty;
  try {
    return manifest::load(manifest_path, lo);
  } catch (const manifest::ManifestError& e) {
    throw invalid_manifest(invalid_reason, e.what());
  } catch (const std::exception& e) {
    throw invalid_manifest(invalid_reason, manifest_path + ": " + e.what());
  }
}

manifest::SnapshotPtr build_snapshot(const std::string& manifest_path, manifest::Manifest loaded,
                                     manifest::SourceRevision source, const SnapshotOptions& options,
                                     const std::string& invalid_reason) {
  auto snap = std::make_shared<manifest::Snapshot>();
  snap->manifest = std::move(loaded);
  snap->revision = snap->manifest.revision;
  snap->source = std::move(source);
  snap->state_dir = options.state_dir;
  try {
    auto ctx = render_context(snap->manifest, options.state_dir);
    snap->secrets.grafana_admin_password = ctx.grafana_admin_password;
    if (const auto& token = snap->manifest.grafana.service_account_token_file)
      snap->secrets.grafana_service_account_token = token->content;
    snap->exporter_image = options.own_image.empty() ? ctx.exporter_image : options.own_image;
    // Render once: a snapshot that cannot be rendered (extra scrape configs
    // clashing with generated jobs, a broken dashboard) never becomes desired.
    auto rendered = containers::render_desired_state(snap->manifest, ctx);
    std::vector<std::string> errors;
    grafana::desired_for(*snap, rendered, errors);
    if (!errors.empty()) {
      std::string all;
      for (const auto& e : errors) all += (all.empty() ? "" : "\n") + e;
      throw invalid_manifest(invalid_reason, all);
    }
  } catch (const ReconcileError&) {
    throw;
  } catch (const std::exception& e) {
    throw invalid_manifest(invalid_reason, manifest_path + ": " + e.what());
  }
  // Valid: the stack it names is recorded before anything of it is made.
  // Not the manifest's fault when this fails, and worth retrying.
  try {
    infrastructure::record_managed_stack(snap->state_dir, snap->source.origin, snap->manifest.name);
  } catch (const std::exception& e) {
    throw ReconcileError("StateDirectoryUnwritable", e.what());
  }
  return snap;
}

std::vector<fs::path> watched_paths(const std::string& manifest_path, const manifest::Snapshot* current) {
  std::vector<fs::path> paths{manifest_path};
  if (!current) return paths;
  // Each file as the manifest names it (its directory joined with the
  // relative path), not as resolved: in a ConfigMap-style tree the resolved
  // path points into one generation, which a `..data` swap leaves as it was.
  const fs::path dir = fs::path(manifest_path).parent_path();
  for (const auto* f : current->manifest.referenced_files()) paths.emplace_back((dir / f->relative).lexically_normal());
  for (const auto& g : current->manifest.file_globs()) paths.emplace_back(g);
  return paths;
}

FileSnapshotLoader::FileSnapshotLoader(std::string manifest_path, SnapshotOptions options, docker::Api* docker)
    : manifest_path_(std::move(manifest_path)), options_(std::move(options)), own_image_(docker) {}

boost::asio::awaitable<manifest::SnapshotPtr> FileSnapshotLoader::load() {
  std::error_code ec;
  auto absolute = fs::absolute(manifest_path_, ec);
  manifest::SourceRevision source{.source = "file",
                                  .revision = manifest_path_,
                                  .display_url = "",
                                  .origin = "file:" + (ec ? manifest_path_ : absolute.lexically_normal().string())};
  auto loaded = first_ ? *std::exchange(first_, std::nullopt) : load_for_snapshot(manifest_path_, options_);
  co_await own_image_.resolve(loaded, options_.own_image);
  co_return build_snapshot(manifest_path_, std::move(loaded), std::move(source), options_);
}

std::vector<fs::path> FileSnapshotLoader::watched_paths(const manifest::Snapshot* current) const {
  return snapshot::watched_paths(manifest_path_, current);
}

}  // namespace stackd::snapshot

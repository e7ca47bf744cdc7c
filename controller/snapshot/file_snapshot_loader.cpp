#include "controller/snapshot/file_snapshot_loader.hpp"

#include <set>
#include <utility>

#include "api/v1alpha1/diagnostics.hpp"
#include "api/v1alpha1/loader.hpp"
#include "clients/docker/self_container.hpp"
#include "common/private_directory.hpp"
#include "common/when_all.hpp"
#include "controller/snapshot/gpu_facts.hpp"
#include "controller/snapshot/render_context.hpp"
#include "desired/render.hpp"
#include "desired/desired_state.hpp"
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

desired::SnapshotPtr build_snapshot(const std::string& manifest_path, manifest::Manifest loaded,
                                     desired::SourceRevision source, const SnapshotOptions& options,
                                     const std::string& invalid_reason) {
  auto snap = std::make_shared<desired::Snapshot>();
  snap->manifest = std::move(loaded);
  snap->revision = snap->manifest.revision;
  snap->source = std::move(source);
  snap->state_dir = options.state_dir;
  desired::ResolvedValues values;
  try {
    values = resolve_values(snap->manifest, options.state_dir,
                            options.read_only ? grafana::Storage::ReadOnly : grafana::Storage::GenerateAndStore,
                            options.running_grafana_password);
  } catch (const StateDirectoryError& e) {
    // Generating the Grafana password: the directory, not the manifest; worth retrying.
    throw ReconcileError("StateDirectoryUnwritable", e.what());
  } catch (const std::exception& e) {
    throw invalid_manifest(invalid_reason, manifest_path + ": " + e.what());
  }
  snap->secrets.grafana_admin_password = values.grafana_admin_password;
  if (const auto& token = snap->manifest.grafana.service_account_token_file)
    snap->secrets.grafana_service_account_token = token->content;
  if (!options.own_image.empty()) values.exporter_image = options.own_image;
  snap->exporter_image = values.exporter_image;
  values.origin = snap->source.origin;
  if (auto host = snap->manifest.prometheus.external_labels.find("host"); host != snap->manifest.prometheus.external_labels.end())
    values.host = host->second;
  else if (options.engine)
    values.host = options.engine->name;
  values.daemon_serves_metrics = options.daemon_serves_metrics;
  const auto& gpu = snap->manifest.gpu;
  if (gpu.wanted() && gpu.vendor == manifest::GpuVendor::Auto)
    values.gpu = gpu_facts(options.engine, amd_cards(options.sysfs));
  try {
    // Rendered once: a snapshot that cannot be rendered (extra scrape configs
    // clashing with generated jobs, a dashboard input of a missing
    // datasource type) never becomes desired.
    snap->desired = desired::render(snap->manifest, values);
  } catch (const std::exception& e) {
    throw invalid_manifest(invalid_reason, manifest_path + ": " + e.what());
  }
  return snap;
}

std::vector<fs::path> watched_paths(const std::string& manifest_path, const desired::Snapshot* current) {
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
    : manifest_path_(std::move(manifest_path)), options_(std::move(options)), own_image_(docker), engine_facts_(docker),
      grafana_password_(docker) {}

boost::asio::awaitable<desired::SnapshotPtr> FileSnapshotLoader::load() {
  std::error_code ec;
  auto absolute = fs::absolute(manifest_path_, ec);
  desired::SourceRevision source{.source = "file",
                                  .revision = manifest_path_,
                                  .display_url = "",
                                  .origin = "file:" + (ec ? manifest_path_ : absolute.lexically_normal().string())};
  if (source_) source = *source_;
  auto loaded = first_ ? *std::exchange(first_, std::nullopt) : load_for_snapshot(manifest_path_, options_);
  // Three independent questions to the engine, asked at once: GET /info
  // alone takes longer than the rest of a no-op apply's first round.
  std::vector<boost::asio::awaitable<void>> lookups;
  lookups.push_back(own_image_.resolve(loaded, options_.own_image));
  lookups.push_back(engine_facts_.resolve(loaded, options_.engine));
  lookups.push_back([](GrafanaPasswordLookup& lookup, const manifest::Manifest& m, const std::string& origin,
                       std::optional<std::string>& out) -> boost::asio::awaitable<void> {
    out = co_await lookup.resolve(m, origin);
  }(grafana_password_, loaded, source.origin, options_.running_grafana_password));
  co_await when_all(std::move(lookups));
  co_return build_snapshot(manifest_path_, std::move(loaded), std::move(source), options_);
}

std::vector<fs::path> FileSnapshotLoader::watched_paths(const desired::Snapshot* current) const {
  return snapshot::watched_paths(manifest_path_, current);
}

}  // namespace stackd::snapshot

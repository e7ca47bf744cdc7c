#include "reconcilers/grafana/grafana_api_reconciler.hpp"

#include <spdlog/spdlog.h>

#include "reconcilers/grafana/dashboard_loader.hpp"

namespace stackd::grafana {

namespace net = boost::asio;

std::optional<Desired> desired_for(const manifest::Snapshot& snapshot, const containers::DesiredState& rendered,
                                   std::vector<std::string>& errors) {
  const auto& m = snapshot.manifest;
  if (!m.grafana.enabled) return std::nullopt;
  const containers::ContainerSpec* g = nullptr;
  const containers::ContainerSpec* p = nullptr;
  for (const auto& c : rendered.containers) {
    if (c.component == containers::kGrafana) g = &c;
    if (c.component == containers::kPrometheus) p = &c;
  }
  // spec.grafana.url: an existing Grafana that stackd syncs but does not run.
  if (!g && m.grafana.url.empty()) return std::nullopt;
  Desired d;
  d.base_url = m.grafana.url.empty() ? g->api_url : m.grafana.url;
  d.user = m.grafana.admin_user;
  d.password = snapshot.secrets.grafana_admin_password;
  d.service_account_token = snapshot.secrets.grafana_service_account_token;
  d.revision = snapshot.source.source == "git" ? snapshot.source.revision : snapshot.revision;
  if (p) d.datasources.push_back({d.prometheus_datasource_uid, "Prometheus", "prometheus", p->peer_url, "proxy", true});
  for (const auto& ds : m.grafana.datasources)
    d.datasources.push_back({ds.uid, ds.name, ds.type, ds.url, ds.access, ds.is_default});
  std::vector<DashboardFile> files;
  for (const auto& src : m.grafana.dashboards)
    for (const auto& f : src.files) files.push_back(DashboardFile{f.relative, f.content, src.folder});
  auto loaded = parse_dashboards(files);
  d.dashboards = std::move(loaded.dashboards);
  d.prune = loaded.ok();  // a broken file's uid is unknown: never prune on a partial load
  for (auto& e : loaded.errors) errors.push_back(std::move(e));
  return d;
}

GrafanaApiReconciler::GrafanaApiReconciler(net::any_io_executor executor, metrics::Registry& registry,
                                           std::shared_ptr<containers::DesiredStateCache> cache)
    : grafana_(executor),
      cache_(std::move(cache)),
      drift_repairs_(registry.counter("stackd_drift_repairs_total",
                                      "Objects brought back to the desired state without a manifest change.", {"kind"})),
      writes_(registry.counter("stackd_grafana_writes_total", "Dashboards written to Grafana by kind of write.",
                               {"kind"})) {
  drift_repairs_.with({"dashboard"});
  for (const char* k : {"created", "updated", "deleted"}) writes_.with({k});
}

std::vector<std::string> GrafanaApiReconciler::keys(const manifest::Snapshot& snapshot) const {
  if (!snapshot.manifest.grafana.enabled) return {};
  return {"grafana"};
}

std::vector<std::string> GrafanaApiReconciler::keys_for_component(std::string_view component) const {
  if (component == containers::kGrafana || component == containers::kPrometheus) return {"grafana"};
  return {};
}

void GrafanaApiReconciler::forget(const std::string&) {
  report_.reset();
  converged_revision_.clear();
}

void GrafanaApiReconciler::describe(std::vector<runtime::ComponentReport>& out) const {
  if (report_) out.push_back(*report_);
}

net::awaitable<runtime::Result> GrafanaApiReconciler::reconcile(const runtime::Request&, runtime::Context& context) {
  const auto& snapshot = *context.snapshot;
  auto rendered = cache_->get(snapshot);
  std::vector<std::string> load_errors;
  auto desired = desired_for(snapshot, *rendered, load_errors);
  if (!desired) co_return runtime::Result{};

  // With a token, no admin password is handled at all; the password of a
  // Grafana stackd does not run belongs to its owner: used, never changed.
  // Otherwise reconcile() makes the admin password the desired one first,
  // and never retries credentials Grafana rejected on a short backoff.
  if (snapshot.manifest.grafana.url.empty() && desired->service_account_token.empty())
    desired->applied_password_file =
        std::filesystem::path(snapshot.state_dir) / snapshot.manifest.name / "grafana-admin-password.applied";
  auto report = co_await grafana_.reconcile(*desired);
  for (const auto& w : report.warnings) spdlog::warn("grafana: {}", w);
  for (auto& e : load_errors) report.errors.push_back(std::move(e));
  last_ = report;

  if (report.drift_repaired > 0 && converged_revision_ == snapshot.revision)
    drift_repairs_.with({"dashboard"}).inc(report.drift_repaired);
  writes_.with({"created"}).inc(report.created);
  writes_.with({"updated"}).inc(report.updated);
  writes_.with({"deleted"}).inc(report.deleted);
  if (report.created + report.updated + report.deleted + report.moved > 0)
    spdlog::info("grafana: dashboards {} created, {} updated, {} deleted, {} moved, {} drift repaired (revision {})",
                 report.created, report.updated, report.deleted, report.moved, report.drift_repaired,
                 desired->revision.substr(0, 19));

  runtime::ComponentReport r{.name = "grafana-api", .state = report.ok() ? "synced" : "error",
                             .last_reconcile_time = context.clock.system_now()};
  std::string all;
  for (const auto& e : report.errors) all += (all.empty() ? "" : "; ") + e;
  r.last_error = all;
  report_ = r;
  if (report.credentials_rejected) {
    r.last_error = report.credentials_message;
    report_ = r;
    // The reconciler itself holds the rejected credentials back (a lockout
    // is likely otherwise); looking again sooner would only find that.
    throw runtime::ReconcileError("GrafanaCredentialsRejected", report.credentials_message,
                                  runtime::ReconcileError::Retry::Never);
  }
  if (!report.ok()) throw runtime::ReconcileError("GrafanaSyncFailed", "grafana: " + all);
  converged_revision_ = snapshot.revision;
  co_return runtime::Result{.requeue_after = std::chrono::duration_cast<runtime::Duration>(
                                snapshot.manifest.grafana.resync_interval)};
}

}  // namespace stackd::grafana

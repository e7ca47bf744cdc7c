#include "reconcilers/grafana/grafana_api_reconciler.hpp"

#include <spdlog/spdlog.h>

#include "api/v1alpha1/labels.hpp"
#include "common/tar_archive.hpp"
#include "desired/grafana/grafana_state.hpp"
#include "reconcilers/grafana/grafana_wait.hpp"

namespace stackd::grafana {

namespace net = boost::asio;

std::optional<Desired> desired_for(const desired::Snapshot& snapshot) {
  const auto& state = snapshot.desired.grafana;
  if (!state) return std::nullopt;
  Desired d;
  d.base_url = state->base_url;
  d.user = state->user;
  d.password = snapshot.secrets.grafana_admin_password;
  d.service_account_token = snapshot.secrets.grafana_service_account_token;
  d.revision = snapshot.source.source == "git" ? snapshot.source.revision : snapshot.revision;
  d.datasources = state->datasources;
  d.dashboards = state->dashboards;
  d.prometheus_datasource_uid = state->prometheus_datasource_uid;
  // With a token, no admin password is handled at all; the password of a
  // Grafana stackd does not run belongs to its owner: used, never changed.
  // Otherwise a pass makes the admin password the desired one first, and
  // never retries credentials Grafana rejected on a short backoff.
  d.manage_password = state->runs_container && d.service_account_token.empty();
  return d;
}

GrafanaApiReconciler::GrafanaApiReconciler(net::any_io_executor executor, metrics::Registry& registry,
                                           docker::Api* docker, GrafanaSettings settings)
    : grafana_(executor),
      docker_(docker),
      settings_(settings),
      password_file_(kAdminPasswordFile),
      drift_repairs_(registry.counter("stackd_drift_repairs_total",
                                      "Objects brought back to the desired state without a manifest change.", {"kind"})),
      writes_(registry.counter("stackd_grafana_writes_total", "Dashboards written to Grafana by kind of write.",
                               {"kind"})) {
  drift_repairs_.with({"dashboard"});
  for (const char* k : {"created", "updated", "deleted"}) writes_.with({k});
}

std::vector<std::string> GrafanaApiReconciler::keys(const desired::Snapshot& snapshot) const {
  if (!snapshot.desired.grafana) return {};
  return {"grafana"};
}

std::vector<std::string> GrafanaApiReconciler::keys_for_component(std::string_view component) const {
  if (component == manifest::to_string(manifest::ComponentKind::Grafana) ||
      component == manifest::to_string(manifest::ComponentKind::Prometheus))
    return {"grafana"};
  return {};
}

void GrafanaApiReconciler::forget(const std::string&) {
  report_.reset();
  converged_revision_.clear();
}

void GrafanaApiReconciler::describe(std::vector<runtime::ComponentReport>& out) const {
  if (report_) out.push_back(*report_);
}

net::awaitable<std::optional<std::string>> GrafanaApiReconciler::container_password(const desired::Snapshot& snapshot) {
  if (!docker_ || !snapshot.desired.grafana || !snapshot.desired.grafana->runs_container) co_return std::nullopt;
  const auto name = manifest::container_name(snapshot.desired.stack, manifest::ComponentKind::Grafana);
  auto info = co_await docker_->inspect_container(name);
  if (!info || !labels::owned_by(info->labels, snapshot.desired.stack, "grafana")) co_return std::nullopt;
  co_return co_await password_file_.read(*docker_, info->id);
}

net::awaitable<void> GrafanaApiReconciler::record_password(const desired::Snapshot& snapshot) {
  const auto* set = snapshot.desired.live_set(desired::LiveSet::GrafanaAdminPassword);
  if (!docker_ || !set || set->files.empty()) co_return;
  const auto name = manifest::container_name(snapshot.desired.stack, manifest::ComponentKind::Grafana);
  auto info = co_await docker_->inspect_container(name);
  if (!info || !labels::owned_by(info->labels, snapshot.desired.stack, "grafana")) co_return;
  co_await docker_->put_archive(info->id, "/", make_tar(set->files));
}

net::awaitable<std::vector<runtime::Change>> GrafanaApiReconciler::plan(const runtime::Request&,
                                                                         runtime::Context& context) {
  auto desired = desired_for(*context.snapshot);
  if (!desired) co_return std::vector<runtime::Change>{};
  if (desired->manage_password) desired->previous_password = co_await container_password(*context.snapshot);
  // A Grafana this stack runs that has no container yet holds nothing: it
  // gets everything, whatever else answers at its address now. Unless the
  // stack is being renamed: its Grafana's data is copied to the new name,
  // so the new one will hold what the old one answers now. One that runs
  // but does not answer cannot be known: an error (diff exits 1).
  const auto& state = *context.snapshot->desired.grafana;
  if (state.runs_container && docker_) {
    const auto& stack = context.snapshot->desired.stack;
    auto info = co_await docker_->inspect_container(manifest::container_name(stack, manifest::ComponentKind::Grafana));
    if (!info || !labels::owned_by(info->labels, stack, "grafana")) {
      const auto& origin = context.snapshot->desired.origin;
      bool renamed = false;
      if (!origin.empty()) {
        const docker::Labels same_origin{{labels::kManagedBy, labels::kManagedByValue},
                                         {labels::kOrigin, origin},
                                         {labels::kComponent, "grafana"}};
        const auto found = co_await docker_->list_containers(same_origin, true);
        renamed = !found.empty();
      }
      if (!renamed) co_return SyncPlan::for_empty_grafana(*desired).to_changes(*desired);
    }
  }
  auto p = co_await grafana_.plan(*desired);
  if (p.credentials_rejected)
    throw runtime::ReconcileError("GrafanaCredentialsRejected", p.credentials_message,
                                  runtime::ReconcileError::Retry::Never);
  if (!p.errors.empty()) {
    std::string all;
    for (const auto& e : p.errors) all += (all.empty() ? "" : "; ") + e;
    throw runtime::ReconcileError("GrafanaSyncFailed", "grafana: " + all);
  }
  co_return p.to_changes(*desired);
}

net::awaitable<runtime::Result> GrafanaApiReconciler::reconcile(const runtime::Request&, runtime::Context& context) {
  const auto& snapshot = *context.snapshot;
  auto desired = desired_for(snapshot);
  if (!desired) co_return runtime::Result{};
  if (desired->manage_password) desired->previous_password = co_await container_password(snapshot);

  // A Grafana stackd runs may still be starting (a first start migrates its
  // database): `apply` waits for it, saying so; the daemon retries instead.
  auto p = co_await grafana_.plan(*desired);
  const auto waited_since = context.clock.now();
  std::optional<runtime::SteadyTime> said;
  const bool waits = snapshot.desired.grafana->runs_container && settings_.ready_timeout.count() > 0;
  std::optional<std::string> over;  // why the wait ended without an answer
  const auto container = manifest::container_name(snapshot.desired.stack, manifest::ComponentKind::Grafana);
  while (p.unreachable && waits) {
    // A container that exited will not answer: no use waiting out --timeout.
    std::optional<docker::ContainerInfo> info;
    if (docker_) info = co_await docker_->inspect_container(container);
    over = grafana_wait_over(context.clock.now() - waited_since, settings_.ready_timeout,
                             grafana_container_stopped(docker_ != nullptr, info));
    if (over) break;
    if (!said || context.clock.now() - *said >= std::chrono::seconds(5)) {
      said = context.clock.now();
      const auto waited = std::chrono::duration_cast<std::chrono::seconds>(*said - waited_since);
      const std::string line = "waiting for Grafana at " + desired->base_url + " to answer (" +
                               std::to_string(waited.count()) + "s of " +
                               std::to_string(settings_.ready_timeout.count()) + "s)";
      if (context.progress) context.progress(line);
      else spdlog::info("{}", line);
    }
    co_await runtime::sleep_for(context.clock, std::chrono::milliseconds(500));
    p = co_await grafana_.plan(*desired);
  }
  if (p.unreachable && over) {
    std::string last = p.errors.empty() ? std::string("no answer") : p.errors.back();
    const std::string prefix = "Grafana at " + desired->base_url + " is not ready: ";
    if (last.starts_with(prefix)) last = last.substr(prefix.size());
    const auto message = grafana_not_ready_message(*desired, *over, last);
    report_ = runtime::ComponentReport{.name = "grafana-api", .state = "error",
                                       .last_reconcile_time = context.clock.system_now(), .last_error = message};
    throw runtime::ReconcileError("GrafanaNotReady", message);
  }
  auto report = co_await grafana_.execute(*desired, p);
  // Grafana has the desired password now: the container's file says so, for
  // every stackd that manages this stack.
  if (desired->manage_password && !report.credentials_rejected && p.password != SyncPlan::Password::NotManaged &&
      desired->previous_password != desired->password)
    co_await record_password(snapshot);
  for (const auto& w : report.warnings) spdlog::warn("grafana: {}", w);
  if (context.applied)
    for (const auto& c : report.applied) context.applied(c);
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
                                snapshot.desired.grafana->resync_interval)};
}

}  // namespace stackd::grafana

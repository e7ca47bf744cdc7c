#include "controller/manager/stack_converger.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>

#include "common/tar_archive.hpp"
#include "reconcilers/alertmanager/alertmanager_reloader.hpp"
#include "reconcilers/grafana/dashboard_loader.hpp"

namespace stackd::manager {

StackConverger::StackConverger(net::any_io_executor executor, docker::Api& docker, std::string state_dir)
    : executor_(executor), docker_(docker), state_dir_(std::move(state_dir)), grafana_(executor) {}

StackConverger::~StackConverger() = default;

namespace {

// What one work-queue key owns. A component key: its container and any
// duplicates of it, plus the network and volumes every container needs
// (creating those is idempotent). The stack key (no component): networks,
// volumes and containers of components no longer desired; never a desired
// component's container, so two keys never race on one container.
containers::Plan scope(const containers::Plan& plan, const std::optional<std::string>& component,
                       const containers::DesiredState& desired) {
  auto is_desired = [&](const std::string& c) {
    return std::any_of(desired.containers.begin(), desired.containers.end(),
                       [&](const containers::ContainerSpec& s) { return s.component == c; });
  };
  containers::Plan out;
  for (const auto& c : plan.changes) {
    bool mine;
    if (c.kind != "container") mine = !component || c.change != containers::Change::Remove;
    else if (component) mine = c.component == *component;  // its container and its duplicates
    else mine = c.change == containers::Change::Remove && !is_desired(c.component);  // orphans
    if (mine) out.changes.push_back(c);
  }
  return out;
}

}  // namespace

net::awaitable<void> StackConverger::refresh_live_files(const containers::ContainerSpec& spec, const std::string& id,
                                                        const ConvergeObserver& observer) {
  if (spec.component == containers::kPrometheus) {
    auto outcome = co_await prometheus::reload_config(docker_, id, http::Endpoint::parse(spec.api_url), spec.live_files);
    if (observer.on_reload) observer.on_reload(outcome);
    using Kind = prometheus::ReloadOutcome::Kind;
    if (outcome.kind == Kind::Rejected || outcome.kind == Kind::RolledBack || outcome.kind == Kind::NotReady)
      throw std::runtime_error(std::string("prometheus configuration ") + prometheus::to_string(outcome.kind) + ": " +
                               outcome.message);
    co_return;
  }
  // HOOK (issue 14, until the new runtime registers alertmanager::ConfigReconciler):
  // Alertmanager's config goes through the same validated reload as Prometheus'.
  if (spec.component == containers::kAlertmanager) {
    auto outcome = co_await alertmanager::reload_config(docker_, id, http::Endpoint::parse(spec.api_url), spec.live_files);
    using Kind = live_config::ReloadOutcome::Kind;
    if (outcome.kind == Kind::Rejected || outcome.kind == Kind::RolledBack || outcome.kind == Kind::NotReady)
      throw std::runtime_error(std::string("alertmanager configuration ") + live_config::to_string(outcome.kind) + ": " +
                               outcome.message);
    if (outcome.kind == Kind::Reloaded && observer.progress) observer.progress("alertmanager: configuration reloaded");
    co_return;
  }
  // Other live files (the Grafana password file) are simply replaced; the
  // component's API reconciler applies what they mean.
  co_await docker_.put_archive(id, "/", make_tar(spec.live_files));
}

net::awaitable<ContainersOutcome> StackConverger::converge_containers(const containers::DesiredState& desired,
                                                                      std::optional<std::string> component,
                                                                      const ConvergeObserver& observer,
                                                                      std::chrono::seconds ready_timeout, bool whole) {
  ContainersOutcome out;
  auto full = co_await containers::make_plan(docker_, desired);
  out.plan = whole ? full : scope(full, component, desired);
  containers::ApplyOptions options;
  options.ready_timeout = ready_timeout;
  options.progress = observer.progress;
  options.refresh_live_files = [this, &observer](const containers::ContainerSpec& spec,
                                                 const std::string& id) -> net::awaitable<void> {
    co_await refresh_live_files(spec, id, observer);
  };
  out.result = co_await containers::apply_plan(docker_, desired, out.plan, options);
  co_return out;
}

net::awaitable<grafana::SyncReport> StackConverger::sync_grafana(const manifest::Manifest& m,
                                                                 const containers::DesiredState& desired,
                                                                 const std::string& admin_password) {
  grafana::SyncReport report;
  if (!m.grafana.enabled) co_return report;
  const containers::ContainerSpec* g = nullptr;
  const containers::ContainerSpec* p = nullptr;
  for (const auto& c : desired.containers) {
    if (c.component == containers::kGrafana) g = &c;
    if (c.component == containers::kPrometheus) p = &c;
  }
  if (!g) co_return report;

  grafana::Desired d;
  d.base_url = g->api_url;
  d.user = m.grafana.admin_user;
  d.password = admin_password;
  d.revision = m.revision;
  if (p) d.datasources.push_back({d.prometheus_datasource_uid, "Prometheus", "prometheus", p->peer_url, "proxy", true});
  for (const auto& ds : m.grafana.datasources)
    d.datasources.push_back({ds.uid, ds.name, ds.type, ds.url, ds.access, ds.is_default});
  std::vector<grafana::DashboardGlob> globs;
  for (const auto& src : m.grafana.dashboards) globs.push_back({src.pattern, src.folder});
  auto loaded = grafana::load_dashboards(m.base_dir, globs);
  d.dashboards = std::move(loaded.dashboards);
  d.prune = loaded.ok();  // a broken file's uid is unknown: never prune on a partial load

  co_await grafana_.ensure_admin_password(d, std::filesystem::path(state_dir_) / m.name / "grafana-admin-password.applied");
  report = co_await grafana_.reconcile(d);
  for (auto& e : loaded.errors) report.errors.push_back(std::move(e));
  co_return report;
}

}  // namespace stackd::manager

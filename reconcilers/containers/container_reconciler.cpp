#include "reconcilers/containers/container_reconciler.hpp"

#include <spdlog/spdlog.h>

#include "common/tar_archive.hpp"
#include "reconcilers/containers/apply.hpp"
#include "reconcilers/containers/plan.hpp"
#include "reconcilers/prometheus/config_reloader.hpp"

namespace stackd::containers {

namespace net = boost::asio;

std::shared_ptr<const DesiredState> DesiredStateCache::get(const manifest::Snapshot& snapshot) {
  if (!desired_ || revision_ != snapshot.revision) {
    desired_ = std::make_shared<const DesiredState>(render_desired_state(snapshot.manifest, render_context_of(snapshot)));
    revision_ = snapshot.revision;
  }
  return desired_;
}

RenderContext render_context_of(const manifest::Snapshot& snapshot) {
  RenderContext ctx;
  ctx.grafana_admin_password = snapshot.secrets.grafana_admin_password;
  ctx.exporter_image = snapshot.exporter_image;
  return ctx;
}

namespace {

constexpr const char* kPrefix = "container/";

const ContainerSpec* find_spec(const DesiredState& desired, std::string_view component) {
  for (const auto& c : desired.containers)
    if (c.component == component) return &c;
  return nullptr;
}

}  // namespace

ContainerReconciler::ContainerReconciler(docker::Api& docker, metrics::Registry& registry,
                                         std::shared_ptr<DesiredStateCache> cache, ContainerSettings settings)
    : docker_(docker),
      cache_(std::move(cache)),
      settings_(settings),
      drift_repairs_(registry.counter("stackd_drift_repairs_total",
                                      "Objects brought back to the desired state without a manifest change.", {"kind"})),
      reloads_(registry.counter("stackd_prometheus_reload_total", "Prometheus configuration reloads by result.",
                                {"result"})) {
  for (const char* k : {"container_created", "container_recreated", "container_started"}) drift_repairs_.with({k});
  for (const char* r : {"reloaded", "rejected", "rolled_back", "not_ready", "unchanged"}) reloads_.with({r});
}

std::vector<std::string> ContainerReconciler::keys(const manifest::Snapshot& snapshot) const {
  std::vector<std::string> keys;
  for (const auto& c : const_cast<DesiredStateCache&>(*cache_).get(snapshot)->containers)
    keys.push_back(kPrefix + c.component);
  return keys;
}

std::vector<std::string> ContainerReconciler::keys_for_component(std::string_view component) const {
  if (component.empty()) return {};
  return {kPrefix + std::string(component)};
}

void ContainerReconciler::forget(const std::string& key) {
  auto component = key.substr(std::string(kPrefix).size());
  reports_.erase(component);
  converged_revision_.erase(component);
}

void ContainerReconciler::describe(std::vector<runtime::ComponentReport>& out) const {
  for (const auto& [_, r] : reports_) out.push_back(r);
}

net::awaitable<runtime::Result> ContainerReconciler::reconcile(const runtime::Request& request,
                                                               runtime::Context& context) {
  std::string component(request.object());
  auto desired = cache_->get(*context.snapshot);
  const auto* spec = find_spec(*desired, component);
  if (!spec) co_return runtime::Result{};

  // This component's container only: no other container is inspected and
  // no other container's files are read.
  auto plan = co_await make_component_plan(docker_, *desired, component);
  if (!spec->live_files_reconciler.empty()) {
    // Stale live files of a running container are another reconciler's to
    // reload (validated, with rollback): overwriting them here would bypass
    // that check. `diff` still shows them as a reload.
    for (auto& c : plan.changes)
      if (c.kind == "container" && c.component == component && c.change == Change::Reload) c.change = Change::Unchanged;
  }

  ApplyOptions options;
  options.progress = context.progress;
  options.wait = settings_.wait;
  options.ready_timeout = settings_.ready_timeout;
  options.clock = &context.clock;
  options.refresh_live_files = [this](const ContainerSpec& s, const std::string& id) -> net::awaitable<void> {
    if (s.component != kPrometheus) {
      // Other live files (the Grafana password file) are simply replaced; the
      // component's API reconciler applies what they mean.
      co_await docker_.put_archive(id, "/", make_tar(s.live_files));
      co_return;
    }
    using Kind = prometheus::ReloadOutcome::Kind;
    auto outcome = co_await prometheus::reload_config(docker_, id, http::Endpoint::parse(s.api_url), s.live_files);
    static const std::map<Kind, std::string> names{{Kind::Reloaded, "reloaded"},     {Kind::Rejected, "rejected"},
                                                   {Kind::RolledBack, "rolled_back"}, {Kind::NotReady, "not_ready"},
                                                   {Kind::Unchanged, "unchanged"}};
    reloads_.with({names.at(outcome.kind)}).inc();
    if (outcome.kind == Kind::Reloaded) spdlog::info("prometheus: configuration reloaded");
    if (outcome.kind == Kind::Rejected || outcome.kind == Kind::RolledBack || outcome.kind == Kind::NotReady)
      throw runtime::ReconcileError(outcome.kind == Kind::NotReady ? "PrometheusNotReady" : "PrometheusConfigRejected",
                                    std::string("prometheus configuration ") + prometheus::to_string(outcome.kind) +
                                        ": " + outcome.message);
  };
  auto result = co_await apply_plan(docker_, *desired, plan, options);

  // A change while the manifest stood still is drift being repaired.
  const auto& revision = context.snapshot->revision;
  bool manifest_changed = converged_revision_[component] != revision;
  std::string error, reason = "ReconcileError", id;
  bool started = false;
  for (const auto& c : plan.changes) {
    if (c.kind != "container" || c.component != component) continue;
    if (id.empty()) id = c.existing_id;
    for (const auto& r : result.results) {
      if (r.name != "container " + c.name) continue;
      if (!r.error.empty()) {
        error = r.error;
        if (c.change == Change::Conflict) reason = "NameConflict";
      }
      if (!r.id.empty() && c.change != Change::Remove) id = r.id;
      if (r.acted && c.change == Change::Start) started = true;
      if (r.acted && !manifest_changed) {
        if (c.change == Change::Create) drift_repairs_.with({"container_created"}).inc();
        if (c.change == Change::Recreate) drift_repairs_.with({"container_recreated"}).inc();
        if (c.change == Change::Start) drift_repairs_.with({"container_started"}).inc();
      }
    }
  }
  for (const auto& r : result.results)
    if (!r.error.empty() && error.empty()) error = r.name + ": " + r.error;

  auto& report = reports_[component];
  report.name = component;
  report.container_id = id;
  report.state = error.empty() ? "running" : (reason == "NameConflict" ? "conflict" : "error");
  report.last_reconcile_time = context.clock.system_now();
  report.last_error = error;
  if (!error.empty()) {
    // Nothing announces that a foreign container went away (it carries no
    // stackd labels, so no event reaches us): look again soon, without
    // growing backoff, so a resolved conflict is Ready within seconds.
    if (reason == "NameConflict") throw runtime::ReconcileError(reason, error, std::chrono::seconds(3));
    throw runtime::ReconcileError(reason, error);
  }
  converged_revision_[component] = revision;
  // A container started again runs the files it held when it stopped; a
  // reload that was cut short (the process killed mid-reload) left them
  // older than desired. One more look plans that reload: the events of this
  // start arrived while the key was still backing off and were not counted.
  if (started) co_return runtime::Result{.requeue_after = std::chrono::seconds(1)};
  co_return runtime::Result{};
}

}  // namespace stackd::containers

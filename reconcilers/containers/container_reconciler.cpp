#include "reconcilers/containers/container_reconciler.hpp"

#include "reconcilers/containers/apply.hpp"
#include "reconcilers/containers/plan.hpp"

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
                                      "Objects brought back to the desired state without a manifest change.", {"kind"})) {
  for (const char* k : {"container_created", "container_recreated", "container_started"}) drift_repairs_.with({k});
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
  // no other container's files are read. Live files another reconciler
  // reloads (validated, with rollback) are not looked at: they are its own.
  auto plan = co_await make_component_plan(docker_, *desired, component, OwnedLiveFiles::Skip);

  ApplyOptions options;
  options.progress = context.progress;
  options.wait = settings_.wait;
  options.ready_timeout = settings_.ready_timeout;
  options.start_grace = settings_.start_grace;
  options.clock = &context.clock;
  auto result = co_await apply_plan(docker_, *desired, plan, options);

  // A change while the manifest stood still is drift being repaired.
  const auto& revision = context.snapshot->revision;
  bool manifest_changed = converged_revision_[component] != revision;
  std::string error, reason = "ReconcileError", id;
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
  co_return runtime::Result{};
}

}  // namespace stackd::containers

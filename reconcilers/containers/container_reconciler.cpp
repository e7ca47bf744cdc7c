#include "reconcilers/containers/container_reconciler.hpp"

#include "reconcilers/containers/apply.hpp"
#include "reconcilers/containers/plan.hpp"
#include "reconcilers/containers/previous_kept.hpp"

#include <algorithm>

namespace stackd::containers {

namespace net = boost::asio;

namespace {

constexpr std::string_view kPrefix = "container/";

}  // namespace

ContainerReconciler::ContainerReconciler(docker::Api& docker, metrics::Registry& registry, ContainerSettings settings)
    : docker_(docker),
      settings_(settings),
      drift_repairs_(registry.counter("stackd_drift_repairs_total",
                                      "Objects brought back to the desired state without a manifest change.", {"kind"})) {
  for (const char* k : {"container_created", "container_recreated", "container_started"}) drift_repairs_.with({k});
}

std::vector<std::string> ContainerReconciler::keys(const desired::Snapshot& snapshot) const {
  std::vector<std::string> keys;
  for (const auto& c : snapshot.desired.containers) keys.push_back(std::string(kPrefix) + std::string(manifest::to_string(c.component)));
  return keys;
}

std::vector<std::string> ContainerReconciler::keys_for_component(std::string_view component) const {
  if (component.empty()) return {};
  return {std::string(kPrefix) + std::string(component)};
}

void ContainerReconciler::forget(const std::string& key) {
  auto component = key.substr(kPrefix.size());
  reports_.erase(component);
  converged_revision_.erase(component);
}

void ContainerReconciler::describe(std::vector<runtime::ComponentReport>& out) const {
  for (const auto& [_, r] : reports_) out.push_back(r);
}

net::awaitable<std::vector<runtime::Change>> ContainerReconciler::plan(const runtime::Request& request,
                                                                        runtime::Context& context) {
  auto kind = manifest::component_kind_named(request.object());
  if (!kind || !context.snapshot->desired.container(*kind)) co_return std::vector<runtime::Change>{};
  auto plan = co_await make_component_plan(docker_, context.snapshot->desired, *kind);
  co_return plan.to_changes();
}

net::awaitable<runtime::Result> ContainerReconciler::reconcile(const runtime::Request& request,
                                                               runtime::Context& context) {
  const std::string component(request.object());
  auto kind = manifest::component_kind_named(component);
  const auto& desired = context.snapshot->desired;
  if (!kind || !desired.container(*kind)) co_return runtime::Result{};

  // This component's container only: no other container is inspected and
  // no other container's files are read.
  auto plan = co_await make_component_plan(docker_, desired, *kind);

  // The same spec that did not run a moment ago is not made again yet.
  const auto& spec = *desired.container(*kind);
  const bool would_run = std::any_of(plan.changes.begin(), plan.changes.end(), [&](const PlannedChange& c) {
    return c.object == runtime::ObjectKind::Container && c.name == spec.name &&
           (c.action == runtime::Action::Create || c.action == runtime::Action::Recreate ||
            c.action == runtime::Action::Start);
  });
  if (would_run) {
    if (const auto* f = failures_.holding(component, spec.spec_hash, context.clock.now())) {
      const auto wait = f->retry_at - context.clock.now();
      throw runtime::ReconcileError(
          f->reason,
          f->message + " (tried again in " +
              std::to_string(std::chrono::duration_cast<std::chrono::seconds>(wait).count() + 1) +
              "s, or at once when its spec changes)",
          wait)
          .set_keeps_last_good(f->reason == "RecreateRolledBack");
    }
  }

  ApplyOptions options;
  options.progress = context.progress;
  options.wait = settings_.wait;
  options.ready_timeout = settings_.ready_timeout;
  options.start_grace = settings_.start_grace;
  options.crash_log_lines = settings_.crash_log_lines;
  options.clock = &context.clock;
  options.check_before_create = settings_.check_before_create;
  auto result = co_await apply_plan(docker_, desired, plan, options);
  if (context.applied)
    for (const auto& c : applied_changes(plan, result)) context.applied(c);

  // A change while the manifest stood still is drift being repaired.
  const auto& revision = context.snapshot->revision;
  bool manifest_changed = converged_revision_[component] != revision;
  std::string error, reason = "ReconcileError", id;
  bool did_not_run = false, config_rejected = false, previous_kept = false;
  for (const auto& c : plan.changes) {
    if (c.object != runtime::ObjectKind::Container || c.component != kind) continue;
    if (id.empty()) id = c.existing_id;
    for (const auto& r : result.results) {
      if (r.object != c.object || r.name != c.name) continue;
      if (!r.error.empty()) {
        error = r.error;
        if (!r.reason.empty()) reason = r.reason;
        else if (r.config_rejected) {
          reason = "ConfigRejected";
          config_rejected = true;
        }
        else if (c.action == runtime::Action::Conflict) reason = "NameConflict";
        else if (r.did_not_run && c.name == spec.name) {
          did_not_run = true;
          reason = r.rolled_back ? "RecreateRolledBack" : "StartFailed";
        }
        if (c.name == spec.name) previous_kept = previous_container_kept(r);
      }
      if (!r.id.empty() && c.action != runtime::Action::Delete) id = r.id;
      if (r.acted && !manifest_changed) {
        if (c.action == runtime::Action::Create) drift_repairs_.with({"container_created"}).inc();
        if (c.action == runtime::Action::Recreate) drift_repairs_.with({"container_recreated"}).inc();
        if (c.action == runtime::Action::Start) drift_repairs_.with({"container_started"}).inc();
      }
    }
  }
  if (error.empty()) error = result.first_error();
  // The engine refused the container its devices (GPUUnavailable): trying
  // again at once would be refused the same way, and a failed start brings
  // no event. Terminal until something changes: an edit, an event, the
  // periodic resync, or the engine's event stream reconnecting after a
  // restart (when a GPU container's toolkit may have been installed).
  const bool devices_refused = !reason.empty() && reason == spec.devices_unavailable_reason;

  auto& report = reports_[component];
  report.name = component;
  report.container_id = id;
  report.state = error.empty() ? "running"
                 : reason == "NameConflict" ? "conflict"
                 : devices_refused          ? "devices unavailable"
                                            : "error";
  report.last_reconcile_time = context.clock.system_now();
  report.last_error = error;
  if (!error.empty()) {
    // Nothing announces that a foreign container went away (it carries no
    // stackd labels, so no event reaches us): look again soon, without
    // growing backoff, so a resolved conflict is Ready within seconds.
    if (reason == "NameConflict") throw runtime::ReconcileError(reason, error, std::chrono::seconds(3));
    if (devices_refused) throw runtime::ReconcileError(reason, error, runtime::ReconcileError::Retry::Never);
    // A refused edit whose previous container still runs keeps the stack
    // Ready on its last good revision; a spec that did not run waits before
    // it is made again, a rejected config for an edit of its files (the
    // same files get the same verdict): neither is retried in a tight loop.
    if (did_not_run)
      throw runtime::ReconcileError(reason, error,
                                    failures_.failed(component, spec.spec_hash, reason, error, context.clock.now()))
          .set_keeps_last_good(previous_kept);
    if (config_rejected)
      throw runtime::ReconcileError(reason, error, runtime::ReconcileError::Retry::Never)
          .set_keeps_last_good(previous_kept);
    throw runtime::ReconcileError(reason, error);
  }
  failures_.succeeded(component);
  converged_revision_[component] = revision;
  co_return runtime::Result{};
}

}  // namespace stackd::containers

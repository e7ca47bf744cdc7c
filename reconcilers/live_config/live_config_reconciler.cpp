#include "reconcilers/live_config/live_config_reconciler.hpp"

#include <spdlog/spdlog.h>

#include "api/v1alpha1/labels.hpp"
#include "reconcilers/live_config/create_check.hpp"
#include "reconcilers/live_config/reload_failure.hpp"
#include "reconcilers/live_config/running_container.hpp"

namespace stackd::live_config {

namespace net = boost::asio;
using Kind = ReloadOutcome::Kind;
using runtime::Action;
using runtime::ObjectKind;

namespace {

constexpr std::string_view kPrefix = "config/";
constexpr desired::LiveSet kSets[] = {desired::LiveSet::PrometheusConfig, desired::LiveSet::AlertmanagerConfig,
                                      desired::LiveSet::GrafanaAdminPassword};

std::string reload_reason(const ReloadPolicy& policy) {
  return policy.checker + ", then " + policy.component + " reloads it";
}

std::string key_of(desired::LiveSet set) { return std::string(kPrefix) + std::string(desired::to_string(set)); }

// The set a key names, when live_config reloads it and the snapshot has it.
const desired::LiveFileSet* set_of(const runtime::Request& request, const desired::Snapshot& snapshot) {
  auto kind = desired::live_set_named(request.object());
  if (!kind || !policy_for(*kind)) return nullptr;
  return snapshot.desired.live_set(*kind);
}

std::string component_name(const desired::LiveFileSet& set) { return std::string(manifest::to_string(set.component)); }

}  // namespace

std::vector<runtime::Change> live_file_changes(const desired::LiveFileSet& set, const LiveFilesSeen& seen,
                                               Action action, const std::string& reason) {
  std::vector<runtime::Change> out;
  for (auto& d : desired::live_file_deltas(set, seen.held)) {
    runtime::Change c;
    c.object = ObjectKind::File;
    c.name = d.source;
    c.action = action;
    c.reason = d.is_new ? reason + " (new file)" : reason;
    // The marker says these files were loaded: what differs was edited inside the container.
    c.outside = seen.desired_was_loaded && !d.is_new;
    if (c.outside) c.reason = "edited inside container " + component_name(set) + "; " + reason;
    c.diff = std::move(d.diff);
    out.push_back(std::move(c));
  }
  return out;
}

LiveConfigReconciler::LiveConfigReconciler(docker::Api& docker, metrics::Registry& registry, ReloadOptions options)
    : docker_(docker), options_(options) {
  for (auto set : kSets) {
    const auto* policy = policy_for(set);
    if (!policy) continue;
    auto& family = registry.counter(policy->metric, policy->component + " configuration reloads by result.", {"result"});
    for (auto k : {Kind::Reloaded, Kind::Rejected, Kind::RolledBack, Kind::NotReady, Kind::Unchanged})
      family.with({to_string(k)});
    reloads_[set] = &family;
  }
}

std::vector<std::string> LiveConfigReconciler::keys(const desired::Snapshot& snapshot) const {
  std::vector<std::string> keys;
  for (const auto& set : snapshot.desired.live_files)
    if (policy_for(set.kind)) keys.push_back(key_of(set.kind));
  return keys;
}

std::vector<std::string> LiveConfigReconciler::keys_for_component(std::string_view component) const {
  std::vector<std::string> keys;
  if (component == manifest::to_string(manifest::ComponentKind::Prometheus))
    keys.push_back(key_of(desired::LiveSet::PrometheusConfig));
  if (component == manifest::to_string(manifest::ComponentKind::Alertmanager))
    keys.push_back(key_of(desired::LiveSet::AlertmanagerConfig));
  return keys;
}

net::awaitable<std::vector<runtime::Change>> LiveConfigReconciler::plan(const runtime::Request& request,
                                                                         runtime::Context& context) {
  std::vector<runtime::Change> none;
  const auto& snapshot = *context.snapshot;
  const auto* set = set_of(request, snapshot);
  if (!set) co_return none;
  const auto* spec = snapshot.desired.container(set->component);
  if (!spec) co_return none;
  auto info = co_await docker_.inspect_container(spec->name);
  // No container of ours yet: its create delivers the files.
  if (!info || !labels::owned_by(info->labels, snapshot.desired.stack, component_name(*set))) co_return none;
  const auto* policy = policy_for(set->kind);
  // A container about to be recreated gets the files with its create: its
  // plan shows them (reconcilers/containers), and this key then finds them.
  auto hash = info->labels.find(labels::kSpecHash);
  if (hash == info->labels.end() || hash->second != spec->spec_hash) co_return none;
  auto seen = co_await observe_live_files(docker_, info->id, set->files, *policy);
  if (seen.unchanged) co_return none;
  co_return live_file_changes(*set, seen, Action::Reload, reload_reason(*policy));
}

net::awaitable<runtime::Result> LiveConfigReconciler::reconcile(const runtime::Request& request,
                                                                runtime::Context& context) {
  const auto& snapshot = *context.snapshot;
  const auto* set = set_of(request, snapshot);
  const auto* spec = set ? snapshot.desired.container(set->component) : nullptr;
  if (!set || !spec) co_return runtime::Result{};
  const auto& policy = *policy_for(set->kind);
  runtime::ComponentReport r{.name = std::string(request.key), .last_reconcile_time = context.clock.system_now()};
  auto report = [&] {
    std::lock_guard lock(mu_);
    reports_[set->kind] = r;
  };

  auto info = co_await running_container(docker_, spec->name, snapshot.desired.stack, component_name(*set), r);
  if (!info) {
    report();
    throw runtime::ReconcileError(policy.component + "NotRunning", r.last_error);
  }
  r.container_id = info->id;
  auto loaded_it = loaded_.find(set->kind);
  const std::vector<TarFile>* loaded =
      loaded_it != loaded_.end() && loaded_it->second.container_id == info->id ? &loaded_it->second.files : nullptr;
  auto seen = co_await observe_live_files(docker_, info->id, set->files, policy, loaded);
  auto outcome = co_await reload_live_files(docker_, info->id, http::Endpoint::parse(spec->api_url), set->files,
                                            policy, seen, context.clock, options_);
  if (outcome.loaded) loaded_[set->kind] = Loaded{info->id, std::move(*outcome.loaded)};
  r.state = to_string(outcome.kind);
  reloads_.at(set->kind)->with({r.state}).inc();
  if (outcome.kind == Kind::Unchanged || outcome.kind == Kind::Reloaded) {
    if (outcome.kind == Kind::Reloaded) {
      if (context.applied)
        for (const auto& c : live_file_changes(*set, seen, Action::Reload, reload_reason(policy)))
          context.applied(c);
      const std::string line = component_name(*set) + ": configuration reloaded";
      if (context.progress) context.progress(line);
      else spdlog::info("{}", line);
    }
    report();
    co_return runtime::Result{};
  }
  if (outcome.kind == Kind::Rejected) {
    // In the user's files (prometheus/alerts.yml:5:11: ...), not the container's.
    outcome.message = checker_summary_of(*set, outcome.checker_output) + "\n(" + policy.checker +
                      " in the running container; its whole output with --log-level debug)";
  }
  r.last_error = outcome.message;
  report();
  throw reload_failure(policy.component, outcome);
}

void LiveConfigReconciler::forget(const std::string& key) {
  std::lock_guard lock(mu_);
  if (auto kind = desired::live_set_named(std::string_view(key).substr(kPrefix.size()))) {
    reports_.erase(*kind);
    loaded_.erase(*kind);
  }
}

void LiveConfigReconciler::describe(std::vector<runtime::ComponentReport>& out) const {
  std::lock_guard lock(mu_);
  for (const auto& [_, r] : reports_) out.push_back(r);
}

}  // namespace stackd::live_config

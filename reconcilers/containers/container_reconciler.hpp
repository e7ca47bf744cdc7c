#pragma once
// One key per component container ("container/prometheus", ...): makes that
// container equal to the snapshot's spec (create, recreate by spec hash,
// start, deliver live files; those another reconciler reloads only at
// create), reports a foreign name holder as a conflict,
// and counts a repair made while the manifest stood still as drift.
#include <boost/asio/any_io_executor.hpp>

#include <map>
#include <memory>
#include <string>

#include "clients/docker/docker_api.hpp"
#include "common/metrics/metrics.hpp"
#include "reconcilers/containers/apply.hpp"
#include "reconcilers/containers/desired_state.hpp"
#include "runtime/reconciler.hpp"

namespace stackd::containers {

// Renders a snapshot's containers once per revision (rendering is pure, so
// every reconciler of the same revision sees the same specs).
class DesiredStateCache {
 public:
  std::shared_ptr<const DesiredState> get(const manifest::Snapshot& snapshot);

 private:
  std::string revision_;
  std::shared_ptr<const DesiredState> desired_;
};

RenderContext render_context_of(const manifest::Snapshot& snapshot);

// How a pass treats a container it started.
struct ContainerSettings {
  bool wait = false;  // `apply --wait`: also wait for readiness (healthchecks, ready URLs)
  std::chrono::seconds ready_timeout{120};
  // See ApplyOptions::start_grace. `stackd apply` without --wait sets 0.
  std::chrono::milliseconds start_grace = ApplyOptions{}.start_grace;
};

class ContainerReconciler final : public runtime::Reconciler {
 public:
  ContainerReconciler(docker::Api& docker, metrics::Registry& registry, std::shared_ptr<DesiredStateCache> cache,
                      ContainerSettings settings = {});
  std::string_view name() const override { return "container"; }
  std::vector<std::string> keys(const manifest::Snapshot& snapshot) const override;
  std::vector<std::string> keys_for_component(std::string_view component) const override;
  boost::asio::awaitable<runtime::Result> reconcile(const runtime::Request& request, runtime::Context& context) override;
  void forget(const std::string& key) override;
  void describe(std::vector<runtime::ComponentReport>& out) const override;

 private:
  docker::Api& docker_;
  std::shared_ptr<DesiredStateCache> cache_;
  ContainerSettings settings_;
  metrics::CounterFamily& drift_repairs_;
  std::map<std::string, std::string> converged_revision_;  // component -> revision of its last success
  std::map<std::string, runtime::ComponentReport> reports_;
};

}  // namespace stackd::containers

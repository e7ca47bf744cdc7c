#pragma once
// One key per component container ("container/prometheus", ...): makes that
// container equal to the snapshot's spec (create with its files, recreate by
// spec hash, start), reports a foreign name holder as a conflict, and counts
// a repair made while the manifest stood still as drift. Its live files are
// reconcilers/live_config's once the container exists.
#include <map>
#include <string>

#include "clients/docker/docker_api.hpp"
#include "common/metrics/metrics.hpp"
#include "reconcilers/containers/apply.hpp"
#include "reconcilers/containers/spec_failures.hpp"
#include "runtime/reconciler.hpp"

namespace stackd::containers {

// How a pass treats a container it started.
struct ContainerSettings {
  bool wait = false;  // `apply --wait`: also wait for readiness (healthchecks, ready URLs)
  std::chrono::seconds ready_timeout{120};
  // See ApplyOptions::start_grace. `stackd apply` without --wait sets 0.
  std::chrono::milliseconds start_grace = ApplyOptions{}.start_grace;
  // See ApplyOptions::crash_log_lines: `stackd apply` sets it, the daemon does not.
  int crash_log_lines = 0;
  // `stackd apply`: the Grafana key waits up to ready_timeout for a Grafana
  // stackd runs to answer; the daemon retries with backoff instead.
  bool wait_for_grafana = false;
  // See ApplyOptions::check_before_create.
  CreateCheck check_before_create;
};

class ContainerReconciler final : public runtime::Reconciler {
 public:
  ContainerReconciler(docker::Api& docker, metrics::Registry& registry, ContainerSettings settings = {});
  std::string_view name() const override { return "container"; }
  std::vector<std::string> keys(const desired::Snapshot& snapshot) const override;
  std::vector<std::string> keys_for_component(std::string_view component) const override;
  boost::asio::awaitable<runtime::Result> reconcile(const runtime::Request& request, runtime::Context& context) override;
  boost::asio::awaitable<std::vector<runtime::Change>> plan(const runtime::Request& request,
                                                            runtime::Context& context) override;
  void forget(const std::string& key) override;
  void describe(std::vector<runtime::ComponentReport>& out) const override;

 private:
  docker::Api& docker_;
  ContainerSettings settings_;
  metrics::CounterFamily& drift_repairs_;
  std::map<std::string, std::string> converged_revision_;  // component -> revision of its last success
  std::map<std::string, runtime::ComponentReport> reports_;
  SpecFailures failures_;
};

}  // namespace stackd::containers

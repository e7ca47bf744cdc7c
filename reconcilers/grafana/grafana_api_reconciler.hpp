#pragma once
// The "grafana" key: Grafana's datasources, folders, dashboards and admin
// password, through its HTTP API, from the pinned snapshot's rendered
// GrafanaState (dashboards prepared once per revision, never re-read from
// disk mid-pass). Looks again every spec.grafana.resyncInterval so a UI edit
// is restored.
#include <boost/asio/any_io_executor.hpp>

#include <optional>

#include "clients/docker/container_file.hpp"
#include "clients/docker/docker_api.hpp"
#include "common/metrics/metrics.hpp"
#include "reconcilers/grafana/grafana_reconciler.hpp"
#include "runtime/reconciler.hpp"

namespace stackd::grafana {

struct GrafanaSettings {
  // How long a pass waits for a Grafana that stackd runs to answer before it
  // fails (`stackd apply`: its --timeout; a new Grafana migrates its
  // database first). 0: fail at once and let the daemon's backoff retry.
  std::chrono::seconds ready_timeout{0};
};

class GrafanaApiReconciler final : public runtime::Reconciler {
 public:
  // `docker`: where the plan looks whether the Grafana container exists yet
  // (null: a Grafana stackd does not run, `run --grafana-only`).
  GrafanaApiReconciler(boost::asio::any_io_executor executor, metrics::Registry& registry,
                       docker::Api* docker = nullptr, GrafanaSettings settings = {});
  std::string_view name() const override { return "grafana"; }
  std::vector<std::string> keys(const desired::Snapshot& snapshot) const override;
  std::vector<std::string> keys_for_component(std::string_view component) const override;
  boost::asio::awaitable<runtime::Result> reconcile(const runtime::Request& request, runtime::Context& context) override;
  boost::asio::awaitable<std::vector<runtime::Change>> plan(const runtime::Request& request,
                                                            runtime::Context& context) override;
  void forget(const std::string& key) override;
  void describe(std::vector<runtime::ComponentReport>& out) const override;

  // The last pass's counts (apply prints them).
  const SyncReport& last_report() const { return last_; }

 private:
  // The password the Grafana container holds: the previous one a pass may
  // change from; rewritten once Grafana has the desired one.
  boost::asio::awaitable<std::optional<std::string>> container_password(const desired::Snapshot& snapshot);
  boost::asio::awaitable<void> record_password(const desired::Snapshot& snapshot);

  grafana::Reconciler grafana_;  // remembers what it pushed across passes
  docker::Api* docker_;
  GrafanaSettings settings_;
  docker::ContainerFileReader password_file_;
  metrics::CounterFamily& drift_repairs_;
  metrics::CounterFamily& writes_;
  std::string converged_revision_;
  SyncReport last_;
  std::optional<runtime::ComponentReport> report_;
};

// What Grafana should hold for a snapshot, with its credentials; nullopt
// when the snapshot syncs no Grafana.
std::optional<Desired> desired_for(const desired::Snapshot& snapshot);

}  // namespace stackd::grafana

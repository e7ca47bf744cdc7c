#pragma once
// The "grafana" key: Grafana's datasources, folders, dashboards and admin
// password, through its HTTP API, from the pinned snapshot (dashboards are
// the contents the manifest loader read: never re-read from disk mid-pass).
// Looks again every spec.grafana.resyncInterval so a UI edit is restored.
#include <boost/asio/any_io_executor.hpp>

#include <memory>

#include "common/metrics/metrics.hpp"
#include "reconcilers/containers/container_reconciler.hpp"
#include "reconcilers/grafana/grafana_reconciler.hpp"
#include "runtime/reconciler.hpp"

namespace stackd::grafana {

class GrafanaApiReconciler final : public runtime::Reconciler {
 public:
  GrafanaApiReconciler(boost::asio::any_io_executor executor, metrics::Registry& registry,
                       std::shared_ptr<containers::DesiredStateCache> cache);
  std::string_view name() const override { return "grafana"; }
  std::vector<std::string> keys(const manifest::Snapshot& snapshot) const override;
  std::vector<std::string> keys_for_component(std::string_view component) const override;
  boost::asio::awaitable<runtime::Result> reconcile(const runtime::Request& request, runtime::Context& context) override;
  void forget(const std::string& key) override;
  void describe(std::vector<runtime::ComponentReport>& out) const override;

  // The last pass's counts (apply prints them).
  const SyncReport& last_report() const { return last_; }

 private:
  grafana::Reconciler grafana_;  // remembers what it pushed across passes
  std::shared_ptr<containers::DesiredStateCache> cache_;
  metrics::CounterFamily& drift_repairs_;
  metrics::CounterFamily& writes_;
  std::string converged_revision_;
  SyncReport last_;
  std::optional<runtime::ComponentReport> report_;
};

// What Grafana should hold for a snapshot; nullopt when the snapshot has no Grafana.
std::optional<Desired> desired_for(const manifest::Snapshot& snapshot, const containers::DesiredState& rendered,
                                   std::vector<std::string>& errors);

}  // namespace stackd::grafana

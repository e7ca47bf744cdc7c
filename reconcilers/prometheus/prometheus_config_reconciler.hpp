#pragma once
// Prometheus's configuration and rules as a runtime::Reconciler, key
// "prometheus-config": takes prometheus.yml and the rule files from the
// pinned snapshot's rendered desired state (the Prometheus ContainerSpec's
// live files) and brings the stack's running Prometheus container (made by
// the container reconciler, which delivers the files at create and leaves
// their reload to this key) to them by a promtool-checked hot reload that
// rolls back on failure (reconcilers/live_config). It never restarts
// Prometheus.
//
// Failures: files promtool rejects, or that Prometheus refuses and that are
// rolled back, wait for an edit (Retry::Never: the same bytes get the same
// answer); a container that is missing, stopped or not answering yet is
// retried with backoff (the container reconciler is on it).
//
// It keeps the files it last saw confirmed in the container: while the
// container's marker still names them they are the rollback copy, so a rule
// edit downloads nothing from the container.
#include <memory>
#include <mutex>
#include <optional>

#include "clients/docker/docker_api.hpp"
#include "common/metrics/metrics.hpp"
#include "reconcilers/containers/container_reconciler.hpp"
#include "reconcilers/prometheus/config_reloader.hpp"
#include "reconcilers/prometheus/prometheus_config.hpp"
#include "runtime/reconciler.hpp"

namespace stackd::prometheus {

class ConfigReconciler final : public runtime::Reconciler {
 public:
  static constexpr const char* kKey = kConfigReconcilerKey;

  // Counts reloads by result in stackd_prometheus_reload_total on `registry`.
  ConfigReconciler(docker::Api& docker, metrics::Registry& registry,
                   std::shared_ptr<containers::DesiredStateCache> cache, ReloadOptions options = {});

  std::string_view name() const override { return kKey; }
  std::vector<std::string> keys(const manifest::Snapshot& snapshot) const override;
  // A (re)created or restarted Prometheus container: look at its files again.
  std::vector<std::string> keys_for_component(std::string_view component) const override;
  boost::asio::awaitable<runtime::Result> reconcile(const runtime::Request& request, runtime::Context& context) override;
  void forget(const std::string& key) override;
  void describe(std::vector<runtime::ComponentReport>& out) const override;

 private:
  void report(runtime::ComponentReport r);
  docker::Api& docker_;
  metrics::CounterFamily& reloads_;
  std::shared_ptr<containers::DesiredStateCache> cache_;
  ReloadOptions options_;
  struct Loaded {
    std::string container_id;
    std::vector<TarFile> files;
  };
  std::optional<Loaded> loaded_;  // what the container was last confirmed to run
  mutable std::mutex mu_;
  std::optional<runtime::ComponentReport> last_;
};

}  // namespace stackd::prometheus

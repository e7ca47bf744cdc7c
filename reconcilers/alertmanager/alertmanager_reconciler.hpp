#pragma once
// The Alertmanager configuration as a runtime::Reconciler, key
// "alertmanager-config": renders alertmanager.yml and the secret files from
// the snapshot, and brings the stack's running Alertmanager container (made
// by the container reconciler like every component) to them by a validated
// hot reload that rolls back on failure. It never restarts Alertmanager.
//
// Failures: a config amtool rejects, or one Alertmanager refuses and that is
// rolled back, waits for an edit (Retry::Never: retrying the same bytes gives
// the same answer); a container that is missing, stopped or not answering yet
// is retried with backoff (the container reconciler is on it).
#include <map>
#include <mutex>

#include "clients/docker/docker_api.hpp"
#include "common/metrics/metrics.hpp"
#include "runtime/reconciler.hpp"

namespace stackd::alertmanager {

class ConfigReconciler : public runtime::Reconciler {
 public:
  static constexpr const char* kKey = "alertmanager-config";

  // Counts reloads by result in stackd_alertmanager_reload_total on `registry`.
  ConfigReconciler(docker::Api& docker, metrics::Registry& registry);

  std::string_view name() const override { return kKey; }
  std::vector<std::string> keys(const manifest::Snapshot& snapshot) const override;
  // A (re)created or restarted Alertmanager container: look at its files again.
  std::vector<std::string> keys_for_component(std::string_view component) const override;
  boost::asio::awaitable<runtime::Result> reconcile(const runtime::Request& request, runtime::Context& context) override;
  void forget(const std::string& key) override;
  void describe(std::vector<runtime::ComponentReport>& out) const override;

 private:
  void report(runtime::ComponentReport r);
  docker::Api& docker_;
  metrics::CounterFamily& reloads_;
  mutable std::mutex mu_;
  std::optional<runtime::ComponentReport> last_;
};

// Where stackd on the host reaches the stack's Alertmanager: http://127.0.0.1:9093.
std::string api_url(const manifest::Manifest& m);

}  // namespace stackd::alertmanager

#pragma once
// One converge pass over a desired state, shared by `apply` (once) and `run`
// (per work-queue key): containers through the container reconciler, live
// files through the component that owns them (Prometheus: stage, promtool,
// reload, confirm, roll back), then Grafana's API objects.
#include <boost/asio/awaitable.hpp>

#include <optional>
#include <string>

#include "clients/docker/docker_client.hpp"
#include "api/v1alpha1/manifest.hpp"
#include "reconcilers/containers/apply.hpp"
#include "reconcilers/containers/plan.hpp"
#include "reconcilers/grafana/grafana_reconciler.hpp"
#include "reconcilers/prometheus/config_reloader.hpp"

namespace stackd::manager {

namespace net = boost::asio;

struct ContainersOutcome {
  containers::Plan plan;
  containers::ApplyResult result;
};

// Observers for what a pass did (the daemon counts them; apply prints them).
struct ConvergeObserver {
  std::function<void(const std::string& line)> progress;
  std::function<void(const prometheus::ReloadOutcome&)> on_reload;
};

class StackConverger {
 public:
  StackConverger(net::any_io_executor executor, docker::Api& docker, std::string state_dir);
  ~StackConverger();

  // whole: everything at once (apply). Otherwise one work-queue key's share:
  // a component's container (with the network and volumes it needs), or with
  // no component the networks, volumes and orphaned containers.
  net::awaitable<ContainersOutcome> converge_containers(const containers::DesiredState& desired,
                                                        std::optional<std::string> component,
                                                        const ConvergeObserver& observer,
                                                        std::chrono::seconds ready_timeout = std::chrono::seconds(120),
                                                        bool whole = false);

  // Datasources, folders, dashboards and the admin password, when the
  // manifest enables Grafana and its container runs.
  net::awaitable<grafana::SyncReport> sync_grafana(const manifest::Manifest& m, const containers::DesiredState& desired,
                                                   const std::string& admin_password);

 private:
  net::awaitable<void> refresh_live_files(const containers::ContainerSpec& spec, const std::string& id,
                                          const ConvergeObserver& observer);
  net::any_io_executor executor_;
  docker::Api& docker_;
  std::string state_dir_;
  grafana::Reconciler grafana_;  // remembers what it pushed across passes
};

}  // namespace stackd::manager

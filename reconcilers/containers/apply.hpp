#pragma once
// Executes a plan: networks and volumes first, then every container in
// parallel (pull when missing, create/recreate/start), then orphans removed,
// then live files refreshed. A failure in one component does not stop the
// others; the first failure is reported after all have finished.
#include <boost/asio/awaitable.hpp>

#include <chrono>
#include <functional>
#include <string>
#include <vector>

#include "clients/docker/docker_api.hpp"
#include "reconcilers/containers/desired_state.hpp"
#include "reconcilers/containers/plan.hpp"

namespace stackd::containers {

struct ApplyOptions {
  std::chrono::seconds ready_timeout{120};  // running (and healthy) after start
  // One line per step, for humans: "pulling prom/prometheus:v2.53.2: ..."
  std::function<void(const std::string&)> progress;
  // Called for a running container whose live files changed (Prometheus
  // reload, Grafana password). The default puts the files into the container.
  std::function<boost::asio::awaitable<void>(const ContainerSpec&, const std::string& container_id)> refresh_live_files;
};

struct ComponentResult {
  std::string name;
  Change change = Change::Unchanged;
  std::string id;
  std::string error;  // empty on success
  bool acted = false;  // the create/recreate/start itself happened (even if the container died after)
};

struct ApplyResult {
  std::vector<ComponentResult> results;
  bool ok() const;
  std::string first_error() const;
};

boost::asio::awaitable<ApplyResult> apply_plan(docker::Api& docker, const DesiredState& desired, const Plan& plan,
                                               const ApplyOptions& options);

// Removes what a down plan lists. Never touches objects without labels.
boost::asio::awaitable<ApplyResult> apply_down(docker::Api& docker, const Plan& plan, const ApplyOptions& options);

}  // namespace stackd::containers

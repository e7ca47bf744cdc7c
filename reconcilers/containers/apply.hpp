#pragma once
// Executes a plan: networks and volumes first, then every container in
// parallel (pull when missing, create/recreate/start, live files replaced
// where no other reconciler reloads them), then orphans removed. A failure
// in one component does not stop the others; the first failure is reported
// after all have finished.
#include <boost/asio/awaitable.hpp>

#include <chrono>
#include <functional>
#include <string>
#include <vector>

#include "clients/docker/docker_api.hpp"
#include "reconcilers/containers/desired_state.hpp"
#include "reconcilers/containers/plan.hpp"
#include "runtime/clock.hpp"

namespace stackd::containers {

struct ApplyOptions {
  // `apply --wait`: after converging, wait until every container is ready
  // (see wait_until_ready). Without it apply_plan returns as soon as every
  // container is created and running as the engine reports it.
  bool wait = false;
  std::chrono::seconds ready_timeout{120};  // bound of the wait, per container
  // How long after its start a container must still run to count as
  // converged: a bad flag or a taken port makes it exit at once. The daemon
  // needs it (a pass that "succeeds" for a container that dies would reset
  // its crash backoff), and so does --wait (a container without a ready URL
  // is ready once it runs). 0: one look right after the start, which is
  // what plain `stackd apply` promises: every container created and running
  // as the engine reports it.
  std::chrono::milliseconds start_grace{250};
  // Time for every wait of the apply (the settle look after a start, a
  // killed create's name, readiness); a SystemClock on the current executor
  // when null, chosen once by apply_plan.
  runtime::Clock* clock = nullptr;
  // One line per step, for humans: "pulling prom/prometheus:v2.53.2: ..."
  std::function<void(const std::string&)> progress;
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

// Waits until one container is ready: running, healthy where it has a
// Docker healthcheck, and answering spec.ready_url with 2xx where it has one.
// Throws when it exits, dies and is restarted by its restart policy, vanishes,
// or is not ready within `timeout`.
boost::asio::awaitable<void> wait_until_ready(docker::Api& docker, const ContainerSpec& spec, const std::string& id,
                                              std::chrono::seconds timeout, runtime::Clock& clock);

// wait_until_ready for every desired container that `result` reports
// converged, in parallel; a failure becomes that container's error.
boost::asio::awaitable<void> wait_until_ready(docker::Api& docker, const DesiredState& desired, ApplyResult& result,
                                              std::chrono::seconds timeout, runtime::Clock& clock);

// Removes what a down plan lists. Never touches objects without labels.
boost::asio::awaitable<ApplyResult> apply_down(docker::Api& docker, const Plan& plan, const ApplyOptions& options);

}  // namespace stackd::containers

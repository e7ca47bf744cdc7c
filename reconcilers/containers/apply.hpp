#pragma once
// Executes a plan: networks and volumes first, then every container in
// parallel (pull when missing, create/recreate/start; a new container gets
// its live files before its first start), then what the plan removes. A
// failure in one component does not stop the others; the first failure is
// reported after all have finished.
#include <boost/asio/awaitable.hpp>

#include <chrono>
#include <functional>
#include <optional>
#include <set>
#include <stdexcept>
#include <string>
#include <vector>

#include "clients/docker/docker_api.hpp"
#include "desired/desired_state.hpp"
#include "reconcilers/containers/plan.hpp"
#include "runtime/clock.hpp"

namespace stackd::containers {

// Judges a component's files before a fresh container of it is created (for
// a raw config the user wrote: the checker in the component's own image,
// wired by controller/setup from reconcilers/live_config): nullopt to go
// ahead, else why the container may not be created. `say` takes a line for
// people. The image is present when it is called.
using CreateCheck = std::function<boost::asio::awaitable<std::optional<std::string>>(
    const DesiredState& desired, const ContainerSpec& spec, std::function<void(const std::string&)> say)>;

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
  // How long a recreated container must run before the one it replaced is
  // removed (whichever of this and start_grace is longer): a bad flag or a
  // taken port makes a process exit within it, and the old one is put back.
  std::chrono::milliseconds recreate_grace{750};
  // The last log lines of a container that did not stay up go into its
  // error: `stackd apply` prints them where the user looks. 0 (the daemon):
  // none, so what a container writes never reaches /status.
  int crash_log_lines = 0;
  // Time for every wait of the apply (the settle look after a start, a
  // killed create's name, readiness); a SystemClock on the current executor
  // when null, chosen once by apply_plan.
  runtime::Clock* clock = nullptr;
  // One line per step, for humans: "pulling prom/prometheus:v2.53.2: ..."
  std::function<void(const std::string&)> progress;
  // Before every create or recreate; none: nothing is checked.
  CreateCheck check_before_create;
};

struct ComponentResult {
  ObjectKind object = ObjectKind::Container;
  std::string name;
  std::optional<Action> action;  // what the plan said; nullopt: unchanged
  std::string id;
  std::string error;  // empty on success
  // The Degraded reason of the error when it is not the generic one: the
  // spec's devices_unavailable_reason (GPUUnavailable) when the engine
  // refused the container its devices.
  std::string reason;
  bool acted = false;  // the create/recreate/start itself happened (even if the container died after)
  // The container was made but the engine would not run it, or it exited at
  // once (a taken port, a bad flag, no device driver): trying the same spec
  // again at once would fail the same way.
  bool did_not_run = false;
  bool rolled_back = false;  // a recreate whose new container did not run: the previous one runs again
  bool config_rejected = false;  // check_before_create refused its files: nothing was created
};

// A container stackd made does not run: the engine refused to start it, or it
// exited (or restarts) right after its start.
class DidNotRun : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// A recreate whose new container did not run; the previous container was put
// back and runs.
class RecreateRolledBack : public DidNotRun {
 public:
  using DidNotRun::DidNotRun;
};

// check_before_create refused a component's files; nothing of it was
// created or changed.
class ConfigRejected : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
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
// or is not ready within `timeout`; the error of one that died carries its
// last `log_lines` log lines (ApplyOptions::crash_log_lines).
boost::asio::awaitable<void> wait_until_ready(docker::Api& docker, const ContainerSpec& spec, const std::string& id,
                                              std::chrono::seconds timeout, runtime::Clock& clock, int log_lines = 0);

// wait_until_ready for every desired container that `result` reports
// converged, in parallel; a failure becomes that container's error.
boost::asio::awaitable<void> wait_until_ready(docker::Api& docker, const DesiredState& desired, ApplyResult& result,
                                              std::chrono::seconds timeout, runtime::Clock& clock, int log_lines = 0);

// Under a restart policy of always or unless-stopped the engine restarts a
// process that exits on its own ("restarting"); "exited" there means a
// `docker stop` (or an engine shutdown): drift, not a spec that fails. Pure.
bool stopped_from_outside(const docker::ContainerInfo& info);

// Pulls `image` unless the engine has it, with pull progress told as ApplyOptions::progress.
boost::asio::awaitable<void> ensure_image(docker::Api& docker, const std::string& image, const ApplyOptions& o);

// Why a container that should run does not, in one line: exited (with its
// code), dead, restarting (and how often); nullopt when it runs. A container
// `fresh` from this apply that runs after a restart crashed since its start:
// its restart policy brought it back for now. Pure.
std::optional<std::string> not_running(const docker::ContainerInfo& info, bool fresh = false);

// Every desired container that does not run (as `stackd apply` returns):
// not_running's line with its last `log_lines` log lines, one entry each.
// `fresh`: the names of the containers this apply created or started.
boost::asio::awaitable<std::vector<std::string>> containers_not_running(docker::Api& docker,
                                                                        const DesiredState& desired, int log_lines,
                                                                        std::set<std::string> fresh = {});

// The changes of `plan` that `result` says were made (no error), as the
// plan listed them.
std::vector<runtime::Change> applied_changes(const Plan& plan, const ApplyResult& result);

// Removes what a down plan lists. Never touches objects without labels.
boost::asio::awaitable<ApplyResult> apply_down(docker::Api& docker, const Plan& plan, const ApplyOptions& options);

}  // namespace stackd::containers

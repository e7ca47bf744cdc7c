#pragma once
// The plan: for every object, what converging would do and why. Computed from
// what Docker holds now (listed by label, never from memory) and the desired
// state; shown by `diff`, executed by `apply`.
#include <boost/asio/awaitable.hpp>
#include <nlohmann/json.hpp>

#include <string>
#include <vector>

#include "clients/docker/docker_api.hpp"
#include "reconcilers/containers/desired_state.hpp"

namespace stackd::containers {

enum class Change { Create, Recreate, Start, Reload, Remove, Unchanged, Conflict };
const char* to_string(Change c);

struct PlannedChange {
  Change change = Change::Unchanged;
  std::string kind;       // network | volume | container
  std::string name;
  std::string component;  // for containers
  std::string reason;     // why, for humans: "image changed", "files changed: ..."
  std::string existing_id;
};

struct Plan {
  std::vector<PlannedChange> changes;
  bool has(Change c) const;
  std::vector<const PlannedChange*> conflicts() const;
  bool converged() const;  // nothing but Unchanged
  nlohmann::json to_json() const;
  std::string to_text() const;
};

// The whole stack's plan (diff, apply): the infrastructure plan's networks and
// volumes, then every component's plan, then the infrastructure plan's
// orphaned containers. Reads the world (by label and by name), never changes it.
boost::asio::awaitable<Plan> make_plan(docker::Api& docker, const DesiredState& desired);

// One component's share, for the reconciler of key "container/<component>".
// Reads only that component's containers: one list by its complete label set
// (managed-by, stack, component) and, when none holds its name, one inspect of
// the name. Plans its container (create, recreate, start, reload, unchanged,
// or conflict with a foreign holder of the name), the removal of duplicates
// and of a `<name>-stackd-next` left by an interrupted recreate. Live-file
// drift is checked by path stat; a file is downloaded only when its stat is
// not what stackd delivered. Never changes anything. Throws
// std::invalid_argument when `component` is not in `desired`.
//
// Live files another reconciler reloads (ContainerSpec::live_files_reconciler)
// are planned with OwnedLiveFiles::Plan (`diff` shows them as a reload) and
// not looked at with Skip (the container reconciler: they are not its own,
// and a rule edit then costs it no stat and no download).
enum class OwnedLiveFiles { Plan, Skip };
boost::asio::awaitable<Plan> make_component_plan(docker::Api& docker, const DesiredState& desired,
                                                 const std::string& component,
                                                 OwnedLiveFiles owned_live_files = OwnedLiveFiles::Plan);

// Stack-wide objects, for the key "infrastructure": the network, the data
// volumes, and containers of this stack whose component is no longer
// desired. Containers of desired components are never in it (they belong to
// their component's plan), and neither is any object without stackd's
// complete label set.
boost::asio::awaitable<Plan> make_infrastructure_plan(docker::Api& docker, const DesiredState& desired);

// Name of the replacement a recreate builds before it swaps it in.
std::string next_name(const std::string& container_name);

// The plan for `down`: every object this stack owns, to be removed; volumes
// only when remove_volumes.
boost::asio::awaitable<Plan> make_down_plan(docker::Api& docker, const std::string& stack, bool remove_volumes);

// Names the spec parts that differ between a container's label and the desired spec.
std::vector<std::string> changed_parts(const std::string& parts_label, const std::map<std::string, std::string>& desired);

}  // namespace stackd::containers

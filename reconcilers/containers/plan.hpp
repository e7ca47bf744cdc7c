#pragma once
// The plan of Docker objects: for every network, volume and container of
// the stack, what converging would do and why. Computed from what Docker
// holds now (listed by label, never from memory) and the desired state;
// shown by `diff` (Reconciler::plan), executed by apply_plan.
#include <boost/asio/awaitable.hpp>
#include <nlohmann/json.hpp>

#include <optional>
#include <string>
#include <vector>

#include "clients/docker/docker_api.hpp"
#include "desired/desired_state.hpp"
#include "runtime/plan.hpp"

namespace stackd::containers {

using desired::ComponentKind;
using desired::ContainerSpec;
using desired::DesiredState;
using runtime::Action;
using runtime::ObjectKind;

struct PlannedChange {
  ObjectKind object = ObjectKind::Container;  // Network, Volume or Container
  std::string name;
  std::optional<Action> action;  // nullopt: unchanged
  std::optional<ComponentKind> component;  // of a container or volume, when it has one
  std::string reason;  // why, for people: "image changed", "missing"
  std::string existing_id;
  std::vector<runtime::FieldChange> fields;  // old -> new values of a recreate
  bool outside = false;  // made outside stackd: a container stopped or removed by hand
  // A recreate's live files that differ from what the old container holds
  // (they come with the new container), as unified diffs.
  std::string diff;
  // A data volume created for a renamed stack: the volume of the old name
  // whose data is copied into it (the old one is kept).
  std::string copy_from;
};

struct Plan {
  std::vector<PlannedChange> changes;
  bool has(Action a) const;
  std::vector<const PlannedChange*> conflicts() const;
  bool converged() const;  // nothing but unchanged
  // What `diff` shows: every change that is not "unchanged".
  std::vector<runtime::Change> to_changes() const;
};

// The whole stack (tests, `down`): the infrastructure plan's networks and
// volumes, then every component's plan, then the infrastructure plan's
// containers to remove. Reads the world, never changes it.
boost::asio::awaitable<Plan> make_plan(docker::Api& docker, const DesiredState& desired);

// One component's share, for the reconciler of key "container/<component>".
// Reads only that component's containers: one list by its complete label set
// (managed-by, stack, component) and, when none holds its name, one inspect of
// the name. Plans its container (create, recreate, start, unchanged, or
// conflict with a foreign holder of the name), the removal of duplicates and
// of a `<name>-stackd-next` left by an interrupted recreate. Live files are
// not its business (reconcilers/live_config); a container created but never
// started without all of them is recreated. Never changes anything. Throws
// std::invalid_argument when `component` is not in `desired`.
boost::asio::awaitable<Plan> make_component_plan(docker::Api& docker, const DesiredState& desired,
                                                 ComponentKind component);

// Stack-wide objects, for the key "infrastructure": the network, the data
// volumes, and containers of this stack whose component is no longer
// desired. Containers of desired components are never in it (they belong to
// their component's plan), and neither is any object without stackd's
// complete label set.
boost::asio::awaitable<Plan> make_infrastructure_plan(docker::Api& docker, const DesiredState& desired);

// Name of the replacement a recreate builds before it swaps it in, and the
// name the replaced container waits under until the new one runs.
std::string next_name(const std::string& container_name);
std::string previous_name(const std::string& container_name);

// The plan for `down` (and for a stack renamed away from `stack`): every
// object this stack owns, to be removed; its volumes too when
// remove_volumes, else listed as kept.
boost::asio::awaitable<Plan> make_down_plan(docker::Api& docker, const std::string& stack, bool remove_volumes);

// Old -> new values of what differs between the create document a
// container carries in its applied-spec label and the desired one: the
// image, each argument, environment names (values masked), ports, mounts,
// limits, labels, restart policy, healthcheck. Pure.
std::vector<runtime::FieldChange> spec_changes(const nlohmann::json& applied, const nlohmann::json& desired);

// Names the spec parts that differ between the spec-parts label of a
// container made by an earlier stackd and the desired spec.
std::vector<std::string> changed_parts(const std::string& parts_label, const std::map<std::string, std::string>& desired);

}  // namespace stackd::containers

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

// Reads the world (containers, networks and volumes by label and by name) and
// compares. Never changes anything.
boost::asio::awaitable<Plan> make_plan(docker::Api& docker, const DesiredState& desired);

// The plan for `down`: every object this stack owns, to be removed; volumes
// only when remove_volumes.
boost::asio::awaitable<Plan> make_down_plan(docker::Api& docker, const std::string& stack, bool remove_volumes);

// Names the spec parts that differ between a container's label and the desired spec.
std::vector<std::string> changed_parts(const std::string& parts_label, const std::map<std::string, std::string>& desired);

}  // namespace stackd::containers

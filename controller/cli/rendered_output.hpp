#pragma once
// The desired state as `stackd render` prints it: each container's create
// document and the files delivered into it (a secret's content masked), and
// what Grafana is given. Pure.
#include <nlohmann/json.hpp>

#include <optional>
#include <string>

#include "desired/desired_state.hpp"

namespace stackd::cli {

// `only`: one component's container and files (and, for Grafana, its objects).
std::string rendered_text(const desired::DesiredState& d, std::optional<manifest::ComponentKind> only);
nlohmann::json rendered_json(const desired::DesiredState& d, std::optional<manifest::ComponentKind> only);

}  // namespace stackd::cli

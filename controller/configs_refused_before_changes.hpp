#pragma once
// `stackd apply` changes nothing when a raw config the user wrote (an
// Alertmanager configFile) would be refused: before any object is made, each
// container the apply would create or recreate is judged as its create would
// judge it (live_config::check_before_create, in the component's own image).
// A refused file then leaves the network, the volumes and the other
// components as they were, not half a stack.
#include <boost/asio/awaitable.hpp>

#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "clients/docker/docker_api.hpp"
#include "desired/desired_state.hpp"

namespace stackd::controller {

// Whether a container the engine reports (none: nullptr) is made anew by an
// apply of `spec`: it does not exist, or it runs another spec. Pure.
bool made_by_apply(const desired::ContainerSpec& spec, const docker::ContainerInfo* existing);

// ("config/<component>", why) for every such container whose files its
// image's checker refuses; its image is pulled first where the engine lacks it.
boost::asio::awaitable<std::vector<std::pair<std::string, std::string>>> configs_refused_before_changes(
    docker::Api& docker, const desired::DesiredState& desired, std::function<void(const std::string&)> say);

}  // namespace stackd::controller

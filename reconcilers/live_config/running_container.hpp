#pragma once
// The container a config reconciler reloads into: the one stackd made for
// this stack's component, and running. Creating and starting it is the
// container reconciler's work; until it is done, a config reconciler says why
// it cannot reload and is retried with backoff.
#include <boost/asio/awaitable.hpp>

#include <optional>
#include <string>

#include "clients/docker/docker_api.hpp"
#include "runtime/reconciler.hpp"

namespace stackd::live_config {

// The inspected container when it carries stackd's labels for (stack,
// component) and runs. Otherwise nullopt, with report.state ("missing",
// "foreign" or the engine's status) and report.last_error saying so: never a
// foreign container of the same name.
boost::asio::awaitable<std::optional<docker::ContainerInfo>> running_container(docker::Api& docker, std::string name,
                                                                                std::string stack,
                                                                                std::string component,
                                                                                runtime::ComponentReport& report);

}  // namespace stackd::live_config

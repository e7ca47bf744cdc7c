#include "reconcilers/live_config/running_container.hpp"

#include "api/v1alpha1/labels.hpp"

namespace stackd::live_config {

boost::asio::awaitable<std::optional<docker::ContainerInfo>> running_container(docker::Api& docker, std::string name,
                                                                                std::string stack,
                                                                                std::string component,
                                                                                runtime::ComponentReport& report) {
  auto info = co_await docker.inspect_container(name);
  const bool owned = info && labels::owned_by(info->labels, stack, component);
  if (owned && info->state.running) co_return info;
  report.state = !info ? "missing" : !owned ? "foreign" : info->state.status;
  report.last_error = name + " is " + report.state + "; the container reconciler creates and starts it";
  co_return std::nullopt;
}

}  // namespace stackd::live_config

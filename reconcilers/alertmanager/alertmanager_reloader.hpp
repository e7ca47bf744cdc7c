#pragma once
// Hot reload of Alertmanager's configuration: the shared
// stage/check/swap/reload/confirm/rollback of reconcilers/live_config with
// Alertmanager's policy: `amtool check-config` inside the running container
// (the exact version that will load the file) and the
// alertmanager_config_last_reload_* gauges of its /metrics.
#include <boost/asio/awaitable.hpp>

#include <string>
#include <vector>

#include "clients/docker/docker_api.hpp"
#include "clients/http/endpoint.hpp"
#include "common/tar_archive.hpp"
#include "reconcilers/live_config/live_config_reloader.hpp"

namespace stackd::alertmanager {

const live_config::ReloadPolicy& reload_policy();

// Brings the running Alertmanager `container_id`, reachable at `endpoint`, to
// `desired` (render_files' output).
boost::asio::awaitable<live_config::ReloadOutcome> reload_config(docker::Api& docker, const std::string& container_id,
                                                                 const http::Endpoint& endpoint,
                                                                 const std::vector<TarFile>& desired,
                                                                 live_config::ReloadOptions options = {});

}  // namespace stackd::alertmanager

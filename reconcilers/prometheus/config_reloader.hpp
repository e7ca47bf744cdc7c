#pragma once
// Hot reload of Prometheus's configuration and rules:
// the shared stage/check/swap/reload/confirm/rollback of
// reconcilers/live_config with Prometheus's policy: promtool check config
// inside the container, prometheus_config_last_reload_* gauges.
#include <boost/asio/awaitable.hpp>

#include <string>
#include <vector>

#include "clients/docker/docker_api.hpp"
#include "clients/http/endpoint.hpp"
#include "common/tar_archive.hpp"
#include "reconcilers/live_config/live_config_reloader.hpp"
#include "reconcilers/prometheus/local_promtool.hpp"  // check_with_local_promtool, for `stackd validate`

namespace stackd::prometheus {

namespace net = boost::asio;

inline constexpr const char* kStagingDir = "/etc/prometheus/stackd-staging";
using live_config::kLoadedMarker;
using live_config::ReloadOptions;
using live_config::ReloadOutcome;
using live_config::to_string;
using live_config::files_hash;
using live_config::holds_all;
using live_config::rebase_archive_members;

// Prometheus's way of checking and confirming a reload.
const live_config::ReloadPolicy& reload_policy();

// Brings the running Prometheus container `container_id` (reachable at
// `prometheus` over loopback/host networking) to `desired` (the output of
// render_files). `loaded`: what an earlier outcome said it runs (see
// live_config::reload_live_files).
net::awaitable<ReloadOutcome> reload_config(docker::Api& docker, const std::string& container_id,
                                            const http::Endpoint& prometheus, const std::vector<TarFile>& desired,
                                            ReloadOptions options = {}, const std::vector<TarFile>* loaded = nullptr);

}  // namespace stackd::prometheus

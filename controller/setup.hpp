#pragma once
// Registration: which reconcilers and sources a daemon runs, in which order
// (`apply` runs them in this order). Adding a reconciler is one line here.
#include <boost/asio/any_io_executor.hpp>

#include "clients/docker/docker_api.hpp"
#include "common/metrics/metrics.hpp"
#include "reconcilers/containers/container_reconciler.hpp"
#include "runtime/manager.hpp"

namespace stackd::controller {

using containers::ContainerSettings;

void register_reconcilers(runtime::Manager& manager, boost::asio::any_io_executor executor, docker::Api& docker,
                          metrics::Registry& registry, ContainerSettings containers = {});

// `stackd run --grafana-only`: only the Grafana API reconciler, for an
// existing Grafana named by spec.grafana.url (no Docker engine needed).
void register_grafana_only(runtime::Manager& manager, boost::asio::any_io_executor executor,
                           metrics::Registry& registry);

}  // namespace stackd::controller

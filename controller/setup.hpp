#pragma once
// Registration: which reconcilers and sources a daemon runs, in which order
// (`apply` runs them in this order). Adding a reconciler is one line here.
#include <boost/asio/any_io_executor.hpp>

#include "clients/docker/docker_api.hpp"
#include "common/metrics/metrics.hpp"
#include "runtime/manager.hpp"

namespace stackd::controller {

void register_reconcilers(runtime::Manager& manager, boost::asio::any_io_executor executor, docker::Api& docker,
                          metrics::Registry& registry);

}  // namespace stackd::controller

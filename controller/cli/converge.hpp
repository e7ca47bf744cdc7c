#pragma once
// One converge pass shared by `apply` (once) and `run` (on every trigger):
// plan against what Docker holds, apply, and refresh live files through the
// component reconcilers (Prometheus reload).
#include <boost/asio/awaitable.hpp>

#include "clients/docker/docker_client.hpp"
#include "reconcilers/containers/apply.hpp"
#include "reconcilers/containers/plan.hpp"

namespace stackd::cli {

struct ConvergeOutcome {
  containers::Plan plan;
  containers::ApplyResult result;
};

boost::asio::awaitable<ConvergeOutcome> converge(docker::Client& docker, const containers::DesiredState& desired,
                                                 const containers::ApplyOptions& options);

}  // namespace stackd::cli

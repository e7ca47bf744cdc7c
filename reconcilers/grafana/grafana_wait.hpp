#pragma once
// `stackd apply` waits for a Grafana it runs to answer (a first start
// migrates its database) before it pushes what Grafana should hold. These
// say when that wait is over without an answer, and what to tell people
// then: the timeout, or the container that exited (no use waiting minutes
// for a dead process), and what is still to push. Pure.
#include <chrono>
#include <optional>
#include <string>

#include "clients/docker/docker_api.hpp"
#include "reconcilers/grafana/grafana_reconciler.hpp"
#include "runtime/clock.hpp"

namespace stackd::grafana {

// Why the Grafana container cannot answer any more ("exited with code 1",
// "is restarting", "no longer exists"); nullopt while it runs (or nothing
// is known of it: `container_known` false).
std::optional<std::string> grafana_container_stopped(bool container_known,
                                                     const std::optional<docker::ContainerInfo>& container);

// Why the wait ends: the container stopped, or `timeout` is over; nullopt:
// keep waiting.
std::optional<std::string> grafana_wait_over(runtime::Duration waited, std::chrono::seconds timeout,
                                             const std::optional<std::string>& container_stopped);

// "datasources Prometheus; dashboards GPU, Node (+3 more)": what a pass
// that did not reach Grafana leaves to push.
std::string still_to_push(const Desired& desired);

// The failure for people: where Grafana is, why the wait ended, the last
// error, and what is still to push.
std::string grafana_not_ready_message(const Desired& desired, const std::string& why, const std::string& last_error);

}  // namespace stackd::grafana

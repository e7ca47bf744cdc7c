#pragma once
// Shared by the Prometheus integration tests and the reload benchmark: a
// private Docker engine (started here when DOCKER_HOST is not set), the
// offline images, and a Prometheus container created the way the container
// reconciler does it (create, put_archive the rendered files, start) with
// host networking on a 127.0.0.1 port. Everything stays on loopback.
// (Coroutine parameters: references must outlive the call; defaults are by value.)
#include <boost/asio/awaitable.hpp>

#include <string>
#include <vector>

#include "clients/docker/docker_client.hpp"
#include "common/tar_archive.hpp"

namespace stackd::test_support {

// Makes sure an engine is reachable through DOCKER_HOST: starts
// scripts/test-engine.sh in `dir` when DOCKER_HOST is unset, then builds the
// offline images. Throws std::runtime_error (tests must FAIL, not skip) when
// the engine cannot be started. Returns true when it started the engine.
bool ensure_test_engine(const std::string& dir = "/tmp/sdk-prom");
// The Prometheus image the tests use (scripts/build-test-images.sh), set by
// ensure_test_engine.
const std::string& prometheus_test_image();
void stop_test_engine(const std::string& dir = "/tmp/sdk-prom");

// A free TCP port on 127.0.0.1 (bind to 0, read it, release it).
unsigned short free_loopback_port();

// Creates and starts a Prometheus container (host networking, listening on
// 127.0.0.1:port, lifecycle API on) holding `files`, and waits until
// /-/ready answers 200. Returns the container id.
boost::asio::awaitable<std::string> start_prometheus(docker::Client& docker, const std::string& name,
                                                     unsigned short port, const std::vector<TarFile>& files,
                                                     std::string image = prometheus_test_image());

}  // namespace stackd::test_support

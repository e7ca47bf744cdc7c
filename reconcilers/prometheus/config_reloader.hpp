#pragma once
// Hot reload of Prometheus's configuration and rules without ever restarting
// it into a broken state (docs/architecture.md):
//
//   read what the container holds ─ same as desired and loaded? ─► Unchanged
//     │ differs
//     ▼
//   stage the files in a staging dir inside the container (PUT archive)
//   promtool check config there, INSIDE the container (the exact version that
//   will load them) ─ fails ─► Rejected (promtool's own message; live files untouched)
//     │ ok
//     ▼
//   swap (PUT archive into the live dir) ─► POST /-/reload (bounded: NotReady on timeout)
//   confirm: prometheus_config_last_reload_successful == 1 with a newer
//   success timestamp ─ ok ─► Reloaded
//     │ failed
//     ▼
//   put the last good files back, reload again ─► RolledBack (Prometheus's message)
//
// A marker file (".stackd-loaded", the sha256 of the files last confirmed
// loaded) sits beside the live files, so "unchanged" means "these files ARE
// what Prometheus runs", even across a stackd restart or a reload that never
// got confirmed. The marker is outside what Prometheus reads.
#include <boost/asio/awaitable.hpp>

#include <chrono>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "clients/docker/docker_api.hpp"
#include "clients/http/endpoint.hpp"
#include "common/tar_archive.hpp"
#include "reconcilers/prometheus/local_promtool.hpp"  // check_with_local_promtool, for `stackd validate`

namespace stackd::prometheus {

namespace net = boost::asio;

inline constexpr const char* kStagingDir = "/etc/prometheus/stackd-staging";
inline constexpr const char* kLoadedMarker = ".stackd-loaded";

struct ReloadOutcome {
  enum class Kind { Unchanged, Reloaded, Rejected, RolledBack, NotReady } kind = Kind::Unchanged;
  std::string message;
};
const char* to_string(ReloadOutcome::Kind kind);

struct ReloadOptions {
  std::chrono::milliseconds reload_timeout{std::chrono::seconds(10)};  // POST /-/reload
  std::chrono::milliseconds confirm_timeout{std::chrono::seconds(5)};  // waiting for the gauges
  std::chrono::milliseconds poll_interval{std::chrono::milliseconds(20)};
  std::chrono::seconds promtool_timeout{std::chrono::seconds(30)};
};

// Brings the running Prometheus container `container_id` (reachable at
// `prometheus` over loopback/host networking) to `desired` (the output of
// render_files). Transport and engine failures propagate as
// http::TransportError / docker::DockerError; everything Prometheus or
// promtool decides is in the outcome.
net::awaitable<ReloadOutcome> reload_config(docker::Api& docker, const std::string& container_id,
                                            const http::Endpoint& prometheus, const std::vector<TarFile>& desired,
                                            ReloadOptions options = {});

// sha256 over (0xff, path, 0xff, content) of each file, in order: the
// identity of a set of delivered files (the Thanos reloader's scheme).
std::string files_hash(const std::vector<TarFile>& files);

// Maps the members of GET /containers/{id}/archive?path=/etc/prometheus/stackd
// ("stackd/prometheus.yml") to render_files' names ("etc/prometheus/stackd/prometheus.yml").
std::vector<TarFile> rebase_archive_members(std::vector<TarFile> files, const std::string& container_dir);

// True when every desired file is held with the same content (extra held
// files, e.g. a rule file no longer referenced, do not matter).
bool holds_all(const std::vector<TarFile>& held, const std::vector<TarFile>& desired);


}  // namespace stackd::prometheus

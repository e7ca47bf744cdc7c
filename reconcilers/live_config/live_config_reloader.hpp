#pragma once
// Hot reload of a component's configuration files without ever putting it
// into a broken state: the steps Prometheus and Alertmanager share
// (docs/architecture.md), with what differs per component in a ReloadPolicy.
//
//   stat the live files and the marker ─ same as desired and loaded? ─► Unchanged
//     │ differs               (a path stat, no download: make_tar's mtimes
//     │                        fingerprint the content)
//     ▼
//   the last good files: those the caller says it confirmed, when the marker
//   shows they are still what runs; else downloaded from the live dir
//     │
//     ▼
//   stage the files in a staging dir inside the container (PUT archive)
//   run the policy's checker there, INSIDE the container (promtool, amtool:
//   the exact version that will load them) ─ fails ─► Rejected (the checker's
//   own message; live files untouched)
//     │ ok
//     ▼
//   swap: where the container has /bin/sh, the checker's exec renames the
//   staged files into the live dir once it passes (no second PUT archive);
//   else, or when a rename fails, PUT archive into the live dir
//     ─► POST /-/reload (bounded: NotReady on timeout)
//   confirm: <component>_config_last_reload_successful == 1 with a newer
//   success timestamp ─ ok ─► Reloaded
//     │ failed
//     ▼
//   put the last good files back, reload again ─► RolledBack (the component's message)
//
// A marker file (".stackd-loaded", the sha256 of the files last confirmed
// loaded) sits beside the live files, so "unchanged" means "these files ARE
// what the component runs", even across a stackd restart or a reload that
// never got confirmed. The marker is outside what the component reads. A
// container created with its files gets the marker with them (ContainerSpec::
// loaded_marker): what it holds before its first start is what it loads.
#include <boost/asio/awaitable.hpp>

#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "clients/docker/docker_api.hpp"
#include "clients/http/endpoint.hpp"
#include "common/tar_archive.hpp"

namespace stackd::live_config {

namespace net = boost::asio;

inline constexpr const char* kLoadedMarker = ".stackd-loaded";

// What differs between components that reload the same way.
struct ReloadPolicy {
  std::string component;    // "Prometheus", "Alertmanager": for messages
  std::string live_dir;     // absolute, no trailing '/': "/etc/prometheus/stackd"
  std::string staging_dir;  // absolute, beside live_dir: "/etc/prometheus/stackd-staging"
  std::string checker;      // "promtool check config": for messages
  // The checker's argv for files staged in `staging_dir`.
  std::function<std::vector<std::string>(const std::string& staging_dir)> check_command;
  std::string successful_gauge;  // prometheus_config_last_reload_successful
  std::string timestamp_gauge;   // prometheus_config_last_reload_success_timestamp_seconds
};

struct ReloadOutcome {
  enum class Kind { Unchanged, Reloaded, Rejected, RolledBack, NotReady } kind = Kind::Unchanged;
  std::string message;
  // The files the component is confirmed to run now, when this call knows
  // (Unchanged, Reloaded, a confirmed rollback). A caller that keeps them and
  // passes them back as `loaded` spares the next change a download.
  std::optional<std::vector<TarFile>> loaded;
};
// An outcome as /status states it and as the result label of
// stackd_prometheus_reload_total and stackd_alertmanager_reload_total.
const char* to_string(ReloadOutcome::Kind kind);

struct ReloadOptions {
  std::chrono::milliseconds reload_timeout{std::chrono::seconds(10)};  // POST /-/reload
  std::chrono::milliseconds confirm_timeout{std::chrono::seconds(5)};  // waiting for the gauges
  // Between reads of the gauges; the first read is right after POST
  // /-/reload answers, which it does once the new files are applied.
  std::chrono::milliseconds poll_interval{std::chrono::milliseconds(20)};
  std::chrono::seconds promtool_timeout{std::chrono::seconds(30)};  // the checker
};

// Brings the running container `container_id` (reachable at `endpoint` over
// loopback/host networking) to `desired`: tar members relative to "/", every
// one under policy.live_dir. Transport and engine failures propagate as
// http::TransportError / docker::DockerError; everything the component or
// its checker decides is in the outcome. `loaded`: the files the caller last
// saw confirmed in this container (an earlier outcome's `loaded`), or null;
// they are trusted only while the marker in the container names them.
net::awaitable<ReloadOutcome> reload_live_files(docker::Api& docker, const std::string& container_id,
                                                const http::Endpoint& endpoint, const std::vector<TarFile>& desired,
                                                const ReloadPolicy& policy, ReloadOptions options = {},
                                                const std::vector<TarFile>* loaded = nullptr);

// The marker saying `files` are loaded, as it sits in `live_dir`.
TarFile loaded_marker(const std::string& live_dir, const std::vector<TarFile>& files);

// True when a path stat shows the file `f` as make_tar delivered it: its
// size, mode and the content's fingerprint as mtime (an edit in place sets
// the current time). A stat is ~1 ms; a download of the same file ~50 ms.
bool delivered_as(const std::optional<docker::PathStat>& stat, const TarFile& f);

// sha256 over (0xff, path, 0xff, content) of each file, in order: the
// identity of a set of delivered files (the Thanos reloader's scheme).
std::string files_hash(const std::vector<TarFile>& files);

// Maps the members of GET /containers/{id}/archive?path=/etc/prometheus/stackd
// ("stackd/prometheus.yml") to tar names relative to "/" ("etc/prometheus/stackd/prometheus.yml").
std::vector<TarFile> rebase_archive_members(std::vector<TarFile> files, const std::string& container_dir);

// True when every desired file is held with the same content (extra held
// files, e.g. a rule file no longer referenced, do not matter).
bool holds_all(const std::vector<TarFile>& held, const std::vector<TarFile>& desired);

}  // namespace stackd::live_config

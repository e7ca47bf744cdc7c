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
// container created with its files gets the marker with them (LiveFileSet::
// loaded_marker): what it holds before its first start is what it loads.
#include <boost/asio/awaitable.hpp>

#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "clients/docker/docker_api.hpp"
#include "clients/docker/delivered_file.hpp"
#include "clients/http/endpoint.hpp"
#include "common/tar_archive.hpp"
#include "desired/desired_state.hpp"
#include "desired/live_file_set.hpp"
#include "runtime/clock.hpp"

namespace stackd::live_config {

namespace net = boost::asio;

using desired::kLoadedMarker;
using desired::files_hash;
using desired::loaded_marker;
using docker::delivered_as;
using docker::rebase_archive_members;

// What differs between components that reload the same way.
struct ReloadPolicy {
  std::string component;    // "Prometheus", "Alertmanager": for messages and reasons
  std::string metric;       // stackd_prometheus_reload_total: reloads by result
  std::string live_dir;     // absolute, no trailing '/': "/etc/prometheus/stackd"
  std::string staging_dir;  // absolute, beside live_dir: "/etc/prometheus/stackd-staging"
  std::string checker;      // "promtool check config": for messages
  // The checker's argv for files staged in `staging_dir`.
  std::function<std::vector<std::string>(const std::string& staging_dir)> check_command;
  std::string successful_gauge;  // prometheus_config_last_reload_successful
  std::string timestamp_gauge;   // prometheus_config_last_reload_success_timestamp_seconds
};

// The policy of a set of live files; null for a set live_config does not
// reload (the Grafana admin password: the Grafana reconciler changes it
// through Grafana's API).
const ReloadPolicy* policy_for(desired::LiveSet set);

// What a running container holds of a set of live files.
struct LiveFilesSeen {
  bool unchanged = false;  // the desired files, and the marker naming them as loaded
  // When not unchanged: what the container holds (downloaded), or the files
  // the caller last saw confirmed while the marker still names them. The
  // rollback copy of a reload.
  std::vector<TarFile> held;
  // The marker names the desired files: they were loaded, and a file that
  // differs now was edited inside the container (drift).
  bool desired_was_loaded = false;
};

// Looks, without changing anything: path stats first (the files as
// delivered and the marker naming them: unchanged), else the live dir's
// content. `loaded`: files the caller last saw confirmed in this container
// (an earlier outcome's `loaded`), trusted only while the marker names them.
net::awaitable<LiveFilesSeen> observe_live_files(docker::Api& docker, const std::string& container_id,
                                                 const std::vector<TarFile>& desired, const ReloadPolicy& policy,
                                                 const std::vector<TarFile>* loaded = nullptr);

struct ReloadOutcome {
  enum class Kind { Unchanged, Reloaded, Rejected, RolledBack, NotReady } kind = Kind::Unchanged;
  std::string message;
  // The files the component is confirmed to run now, when this call knows
  // (Unchanged, Reloaded, a confirmed rollback). A caller that keeps them and
  // passes them back as `loaded` spares the next change a download.
  std::optional<std::vector<TarFile>> loaded;
  // Rejected: the checker's whole output, naming the files where they would
  // be live (/etc/prometheus/stackd/...); the caller tells it in the user's
  // files (checker_summary_of), the whole of it is logged at debug level.
  std::string checker_output;
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
// loopback/host networking) from what `seen` found to `desired`: tar members
// relative to "/", every one under policy.live_dir. Transport and engine
// failures propagate as http::TransportError / docker::DockerError;
// everything the component or its checker decides is in the outcome. Every
// wait is on `clock`.
net::awaitable<ReloadOutcome> reload_live_files(docker::Api& docker, const std::string& container_id,
                                                const http::Endpoint& endpoint, const std::vector<TarFile>& desired,
                                                const ReloadPolicy& policy, const LiveFilesSeen& seen,
                                                runtime::Clock& clock, ReloadOptions options = {});

// observe_live_files, then reload_live_files when not unchanged.
net::awaitable<ReloadOutcome> reload_live_files(docker::Api& docker, const std::string& container_id,
                                                const http::Endpoint& endpoint, const std::vector<TarFile>& desired,
                                                const ReloadPolicy& policy, runtime::Clock& clock,
                                                ReloadOptions options = {},
                                                const std::vector<TarFile>* loaded = nullptr);

// True when every desired file is held with the same content (extra held
// files, e.g. a rule file no longer referenced, do not matter).
bool holds_all(const std::vector<TarFile>& held, const std::vector<TarFile>& desired);

}  // namespace stackd::live_config

#pragma once
// The daemon (`stackd run`): a level-triggered controller on one host.
//
// Triggers (manifest edits, Docker events, resync, SIGHUP) only add keys to
// one work queue; workers take keys and reconcile them against what Docker
// holds now. Keys:
//   manifest            re-read the manifest; on a new valid revision enqueue all
//   stack               full pass: networks, volumes, all containers, orphans
//   <component>         one component's container (prometheus, grafana, ...)
//   grafana-api         datasources, folders, dashboards (also every resyncInterval)
// A failed key is retried with per-key exponential backoff; success resets it.
// An invalid manifest never replaces the last good one.
#include <boost/asio/awaitable.hpp>

#include <memory>
#include <optional>
#include <string>

#include "clients/docker/docker_client.hpp"
#include "runtime/clock.hpp"
#include "runtime/resync_timer.hpp"
#include "api/v1alpha1/manifest.hpp"

namespace stackd::manager {

namespace net = boost::asio;

struct ManagerOptions {
  std::string manifest_path;
  std::string state_dir;
  std::optional<std::string> listen;  // address:port for /healthz, /readyz, /status, /metrics; default from the manifest
  bool allow_empty = false;
  runtime::ResyncPolicy resync;  // full re-list: default 5 min ±10%
  int workers = 4;              // keys reconciled at once (never the same key twice)
};

class Manager {
 public:
  Manager(net::any_io_executor executor, docker::Api& docker, runtime::Clock& clock, runtime::Random& random,
          ManagerOptions options);
  ~Manager();
  // Runs until stop() (or SIGTERM/SIGINT); returns the exit code.
  net::awaitable<int> run();
  void stop();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace stackd::manager

#pragma once
// The runtime (controller-runtime's Manager): one work queue of keys, the
// reconcilers registered with it, the sources that add keys, the pinned
// snapshot every pass works on, and what all reconcilers share: retries with
// per-key backoff, the stack's conditions derived from per-key errors,
// /healthz /readyz /status /metrics, and graceful shutdown.
//
// It knows nothing of Docker, Prometheus or Grafana: a reconciler is a name,
// its keys and reconcile(); a source is something that adds keys.
//
//   sources ──"key K"──► WorkQueue ──► worker ──► reconcilers[prefix(K)].reconcile(K, ctx{snapshot})
//   "manifest" ──► SnapshotLoader::load() ──► new revision? pin it, enqueue every key, forget the rest
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <nlohmann/json.hpp>

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "common/metrics/metrics.hpp"
#include "runtime/clock.hpp"
#include "runtime/http_endpoints.hpp"
#include "runtime/reconciler.hpp"
#include "runtime/resync_timer.hpp"
#include "runtime/snapshot_loader.hpp"
#include "runtime/source.hpp"

namespace stackd::runtime {

struct ManagerOptions {
  // address:port for /healthz, /readyz, /status, /metrics. Empty: the
  // snapshot's spec.stackd.listen:port (followed when it changes), else
  // 127.0.0.1:9321.
  std::string listen;
  ResyncPolicy resync;  // every key again: default 5 min ±10%
  int workers = 4;      // keys reconciled at once (never the same key twice)
  // /healthz fails when one key has been processing longer than this.
  Duration stuck_after = std::chrono::minutes(3);
  // In-flight work is cancelled at stop(); run() returns at the latest this
  // long after.
  Duration stop_grace = std::chrono::milliseconds(2500);
  bool serve_http = true;
  // Called with the first desired state before any key acts on it and
  // before the endpoints bind (the daemon's claim on its stack). A terminal
  // ReconcileError (Retry::Never) refuses: run() logs it and returns 1. Any
  // other failure is retried with the manifest key's backoff, and nothing
  // acts meanwhile.
  std::function<net::awaitable<void>(desired::SnapshotPtr)> admit;
};

// Where the daemon's endpoints listen: `listen` (--listen) when given, else
// the snapshot's spec.stackd listen:port, else 127.0.0.1:9321.
std::string endpoints_listen(const std::string& listen, const desired::Snapshot* snapshot);

class Manager {
 public:
  Manager(net::any_io_executor executor, Clock& clock, Random& random, metrics::Registry& registry,
          SnapshotLoader& loader, ManagerOptions options);
  ~Manager();
  Manager(const Manager&) = delete;
  Manager& operator=(const Manager&) = delete;

  // Registration, before run(). Reconcilers run in registration order when
  // run_once() converges everything (infrastructure before containers before
  // their configuration before API objects).
  void add(std::unique_ptr<Reconciler> reconciler);
  void add(std::unique_ptr<Source> source);
  // A /readyz check besides "the first full reconcile finished" (e.g. the Docker engine answers).
  void add_readiness(ProbeCheck check);
  // An endpoint besides the built-in ones, served wherever the endpoints
  // listen (e.g. the git source's POST /hooks/git).
  void add_route(RouteKey route, RouteHandler handler);

  // Runs until stop() (or SIGTERM/SIGINT): returns the exit code.
  net::awaitable<int> run();
  void stop();

  // `stackd apply`: load the snapshot, then every reconciler's keys once, in
  // registration order, each reconciler's keys concurrently. True when
  // everything succeeded; errors are in status().
  // `applied` gets each change a key's pass made (Context::applied).
  // `before_acting` runs once the snapshot is pinned and before any key
  // acts: what it refuses ("key", "message") is run_once's error and nothing
  // is changed (apply: a raw config its image's checker rejects).
  using Refusals = std::vector<std::pair<std::string, std::string>>;
  using BeforeActing = std::function<net::awaitable<Refusals>(const desired::Snapshot&)>;
  net::awaitable<bool> run_once(std::function<void(const std::string&)> progress,
                                std::function<void(const Change&)> applied = {}, BeforeActing before_acting = {});

  // `stackd diff`: load the snapshot, then every key's plan (Reconciler::plan),
  // in registration order, each reconciler's keys concurrently. Changes
  // nothing; errors (a key that could not find out) are in errors().
  struct PlanResult {
    desired::SnapshotPtr snapshot;  // null when the desired state could not be loaded
    std::vector<Change> changes;
  };
  net::awaitable<PlanResult> plan();

  // "key: message" of every key in error now (what `apply` prints); keys
  // failing with the same message share one line ("a, b: message").
  std::vector<std::string> errors() const;
  // The last load of the desired state was refused as invalid (a terminal
  // error of the loader), not failed for a reason a retry may fix.
  bool desired_state_invalid() const;
  // What /status serves.
  nlohmann::json status() const;
  // The pinned snapshot; null before one was loaded.
  desired::SnapshotPtr snapshot() const;
  // Keys of the current snapshot and the reconciler each belongs to (tests).
  std::vector<std::string> desired_keys() const;
  // Called by sources (also from tests): "look again at key".
  void enqueue(const std::string& key);
  void enqueue_all();
  // The keys a change of `component`'s container concerns ("" for networks
  // and volumes): what each reconciler's keys_for_component() says.
  std::vector<std::string> keys_for_component(const std::string& component) const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace stackd::runtime

#include "runtime/daemon_metrics.hpp"

namespace stackd::manager {

DaemonMetrics::DaemonMetrics()
    : reconciles_(registry_.counter("stackd_reconcile_total", "Reconciles by reconciler and result.",
                                    {"reconciler", "result"})),
      reconcile_seconds_(registry_.histogram("stackd_reconcile_duration_seconds", "Time one reconcile took.",
                                             {0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120},
                                             {"reconciler"})),
      drift_repairs_(registry_.counter("stackd_drift_repairs_total",
                                       "Objects brought back to the desired state without a manifest change.", {"kind"})),
      revision_info_(registry_.gauge("stackd_manifest_revision_info", "The manifest revision being enforced.",
                                     {"revision"})),
      manifest_valid_(registry_.gauge("stackd_manifest_valid", "1 when the manifest on disk is valid.")),
      reloads_(registry_.counter("stackd_prometheus_reload_total", "Prometheus configuration reloads by result.",
                                 {"result"})),
      last_success_(registry_.gauge("stackd_last_successful_reconcile_timestamp_seconds",
                                    "Unix time of the last successful reconcile.")),
      reconnects_(registry_.counter("stackd_docker_event_stream_reconnects_total",
                                    "Times the Docker event stream was reopened after a loss.")),
      queue_depth_(registry_.gauge("stackd_workqueue_depth", "Keys waiting in the work queue.")),
      queue_adds_(registry_.counter("stackd_workqueue_adds_total", "Keys added to the work queue.")),
      queue_retries_(registry_.counter("stackd_workqueue_retries_total", "Keys re-queued with backoff.")) {
  for (const char* r : {"manifest", "stack", "container", "grafana"})
    for (const char* result : {"success", "error"}) reconciles_.with({r, result});
  for (const char* k : {"container_created", "container_recreated", "container_started", "dashboard"})
    drift_repairs_.with({k});
  for (const char* r : {"reloaded", "rejected", "rolled_back", "not_ready", "unchanged"}) reloads_.with({r});
  reconnects_.get();
  queue_adds_.get();
  queue_retries_.get();
}

void DaemonMetrics::reconciled(const std::string& reconciler, bool ok, double seconds, double unix_time) {
  reconciles_.with({reconciler, ok ? "success" : "error"}).inc();
  reconcile_seconds_.with({reconciler}).observe(seconds);
  if (ok) last_success_.get().set(unix_time);
}

void DaemonMetrics::drift_repaired(const std::string& kind) { drift_repairs_.with({kind}).inc(); }

void DaemonMetrics::manifest_revision(const std::string& revision, bool valid) {
  manifest_valid_.get().set(valid ? 1 : 0);
  if (!valid || revision == revision_) return;
  if (!revision_.empty()) revision_info_.remove({revision_});
  revision_ = revision;
  revision_info_.with({revision}).set(1);
}

void DaemonMetrics::prometheus_reload(const std::string& result) { reloads_.with({result}).inc(); }

void DaemonMetrics::event_stream_reconnects(std::uint64_t total) {
  if (total > seen_reconnects_) reconnects_.get().inc(static_cast<double>(total - seen_reconnects_));
  seen_reconnects_ = total;
}

std::string DaemonMetrics::expose(const runtime::WorkQueueStats& q) {
  queue_depth_.get().set(static_cast<double>(q.depth));
  if (q.adds > seen_adds_) queue_adds_.get().inc(static_cast<double>(q.adds - seen_adds_));
  if (q.retries > seen_retries_) queue_retries_.get().inc(static_cast<double>(q.retries - seen_retries_));
  seen_adds_ = q.adds;
  seen_retries_ = q.retries;
  return registry_.expose();
}

}  // namespace stackd::manager

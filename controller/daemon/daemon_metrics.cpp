#include "controller/daemon/daemon_metrics.hpp"

namespace stackd::daemon {

namespace {

double seconds(Duration d) { return std::chrono::duration<double>(d).count(); }

// Adds what a monotonic source gained since the last copy.
void add_delta(metrics::Counter& counter, std::uint64_t now, std::uint64_t before) {
  if (now > before) counter.inc(static_cast<double>(now - before));
}

// Reconciles take from milliseconds (nothing to do) to minutes (image pulls).
const std::vector<double> kReconcileBuckets = {0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300};
const std::vector<double> kQueueBuckets = {0.001, 0.01, 0.1, 0.5, 1, 5, 10, 60, 300};

}  // namespace

DaemonMetrics::DaemonMetrics(metrics::Registry& r, const std::vector<std::string>& reconcilers,
                             const std::vector<std::string>& drift_kinds)
    : reconciles_(r.counter("stackd_reconcile_total", "Reconciles by reconciler and result.", {"reconciler", "result"})),
      reconcile_errors_(r.counter("stackd_reconcile_errors_total", "Reconciles that failed.", {"reconciler"})),
      reconcile_duration_(r.histogram("stackd_reconcile_duration_seconds", "Time one reconcile took.",
                                      kReconcileBuckets, {"reconciler"})),
      last_success_(r.gauge("stackd_last_successful_reconcile_timestamp_seconds",
                            "Unix time of the last full reconcile that converged.")),
      drift_repairs_(r.counter("stackd_drift_repairs_total", "Drift found and repaired, by kind.", {"kind"})),
      manifest_info_(r.gauge("stackd_manifest_info", "The applied manifest revision (value is always 1).",
                             {"stack", "revision"})),
      queue_depth_(r.gauge("stackd_workqueue_depth", "Keys waiting in the work queue.")),
      queue_adds_(r.counter("stackd_workqueue_adds_total", "Keys added to the work queue.")),
      queue_retries_(r.counter("stackd_workqueue_retries_total", "Keys re-added with a delay (backoff, requeue).")),
      queue_duration_(r.histogram("stackd_workqueue_queue_duration_seconds",
                                  "Time a key waited in the queue before processing.", kQueueBuckets)),
      work_duration_(r.histogram("stackd_workqueue_work_duration_seconds", "Time processing one key took.",
                                 kQueueBuckets)),
      events_connected_(r.gauge("stackd_docker_event_stream_connected", "1 while the Docker event stream is open.")),
      events_reconnects_(r.counter("stackd_docker_event_stream_reconnects_total",
                                   "Times the Docker event stream was opened again after losing it.")),
      events_total_(r.counter("stackd_docker_events_total", "Docker events received, by outcome.", {"outcome"})) {
  for (const auto& reconciler : reconcilers) {
    for (const char* result : {"success", "error", "requeue_after"}) reconciles_.with({reconciler, result});
    reconcile_errors_.with({reconciler});
    reconcile_duration_.with({reconciler});
  }
  for (const auto& kind : drift_kinds) drift_repairs_.with({kind});
  last_success_.get();
  queue_depth_.get();
  queue_adds_.get();
  queue_retries_.get();
  queue_duration_.get();
  work_duration_.get();
  events_connected_.get();
  events_reconnects_.get();
  events_total_.with({"queued"});
  events_total_.with({"dropped"});
}

void DaemonMetrics::reconcile_finished(const std::string& reconciler, const std::string& result, Duration took) {
  reconciles_.with({reconciler, result}).inc();
  if (result == "error") reconcile_errors_.with({reconciler}).inc();
  reconcile_duration_.with({reconciler}).observe(seconds(took));
}

void DaemonMetrics::full_reconcile_succeeded(SystemTime when) {
  last_success_.get().set(std::chrono::duration<double>(when.time_since_epoch()).count());
}

void DaemonMetrics::drift_repaired(const std::string& kind) { drift_repairs_.with({kind}).inc(); }

void DaemonMetrics::manifest_applied(const std::string& stack, const std::string& revision) {
  manifest_info_.retain({{stack, revision}});
  manifest_info_.with({stack, revision}).set(1);
}

void DaemonMetrics::refresh(const WorkQueueStats& queue, const EventWatcherStats& events, bool events_connected) {
  queue_depth_.get().set(static_cast<double>(queue.depth));
  add_delta(queue_adds_.get(), queue.adds, last_queue_.adds);
  add_delta(queue_retries_.get(), queue.retries, last_queue_.retries);
  last_queue_ = queue;
  events_connected_.get().set(events_connected ? 1 : 0);
  add_delta(events_reconnects_.get(), events.reconnects, last_events_.reconnects);
  add_delta(events_total_.with({"dropped"}), events.dropped, last_events_.dropped);
  add_delta(events_total_.with({"queued"}), events.events - events.dropped, last_events_.events - last_events_.dropped);
  last_events_ = events;
}

WorkQueueHooks DaemonMetrics::work_queue_hooks() {
  return WorkQueueHooks{
      .on_get = [this](const std::string&, Duration d) { queue_duration_.get().observe(seconds(d)); },
      .on_done = [this](const std::string&, Duration d) { work_duration_.get().observe(seconds(d)); },
  };
}

}  // namespace stackd::daemon

#pragma once
// The daemon's own metrics, registered in a stackd::metrics::Registry:
//
//   stackd_reconcile_total{reconciler,result}          counter  result=success|error|requeue_after
//   stackd_reconcile_errors_total{reconciler}          counter
//   stackd_reconcile_duration_seconds{reconciler}      histogram
//   stackd_last_successful_reconcile_timestamp_seconds gauge    unix time of the last full success
//   stackd_drift_repairs_total{kind}                   counter  kind=missing|stopped|spec|...
//   stackd_manifest_info{stack,revision}               gauge    1 for the applied revision only
//   stackd_workqueue_depth                             gauge
//   stackd_workqueue_adds_total                        counter
//   stackd_workqueue_retries_total                     counter
//   stackd_workqueue_queue_duration_seconds            histogram
//   stackd_workqueue_work_duration_seconds             histogram
//   stackd_docker_event_stream_connected               gauge
//   stackd_docker_event_stream_reconnects_total        counter
//   stackd_docker_events_total{outcome}                counter  outcome=queued|dropped
//
// Names follow controller-runtime's (controller_runtime_reconcile_total,
// workqueue_*), prefixed with stackd_. Every known label value is created at
// 0 up front, so alerts and dashboards see series before the first error.
#include <string>
#include <string_view>
#include <vector>

#include "common/metrics/metrics.hpp"
#include "controller/daemon/event_watcher.hpp"
#include "controller/daemon/work_queue.hpp"

namespace stackd::daemon {

class DaemonMetrics {
 public:
  DaemonMetrics(metrics::Registry& registry, const std::vector<std::string>& reconcilers,
                const std::vector<std::string>& drift_kinds = {"missing", "stopped", "spec"});

  void reconcile_finished(const std::string& reconciler, const std::string& result, Duration took);
  void full_reconcile_succeeded(SystemTime when);
  void drift_repaired(const std::string& kind);
  void manifest_applied(const std::string& stack, const std::string& revision);

  // Copies the queue's and the event watcher's counters; call before expose().
  void refresh(const WorkQueueStats& queue, const EventWatcherStats& events, bool events_connected);
  // Hooks feeding the queue latency histograms; pass to WorkQueue.
  WorkQueueHooks work_queue_hooks();

 private:
  metrics::CounterFamily& reconciles_;
  metrics::CounterFamily& reconcile_errors_;
  metrics::HistogramFamily& reconcile_duration_;
  metrics::GaugeFamily& last_success_;
  metrics::CounterFamily& drift_repairs_;
  metrics::GaugeFamily& manifest_info_;
  metrics::GaugeFamily& queue_depth_;
  metrics::CounterFamily& queue_adds_;
  metrics::CounterFamily& queue_retries_;
  metrics::HistogramFamily& queue_duration_;
  metrics::HistogramFamily& work_duration_;
  metrics::GaugeFamily& events_connected_;
  metrics::CounterFamily& events_reconnects_;
  metrics::CounterFamily& events_total_;
  // Last values copied from monotonic sources, so counters get the delta.
  WorkQueueStats last_queue_{};
  EventWatcherStats last_events_{};
};

}  // namespace stackd::daemon

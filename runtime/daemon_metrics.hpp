#pragma once
// The daemon's /metrics, with the names the shipped stackd dashboard and
// alerts use. Series with known label values are created at start so that
// rate() works from the first scrape.
#include <string>

#include "common/metrics/metrics.hpp"
#include "runtime/work_queue.hpp"

namespace stackd::manager {

class DaemonMetrics {
 public:
  DaemonMetrics();
  metrics::Registry& registry() { return registry_; }

  void reconciled(const std::string& reconciler, bool ok, double seconds, double unix_time);
  void drift_repaired(const std::string& kind);
  void manifest_revision(const std::string& revision, bool valid);
  void prometheus_reload(const std::string& result);
  void event_stream_reconnects(std::uint64_t total);
  // Refreshes queue gauges and counters from the queue's own counts.
  std::string expose(const runtime::WorkQueueStats& queue);

 private:
  metrics::Registry registry_;
  metrics::CounterFamily& reconciles_;
  metrics::HistogramFamily& reconcile_seconds_;
  metrics::CounterFamily& drift_repairs_;
  metrics::GaugeFamily& revision_info_;
  metrics::GaugeFamily& manifest_valid_;
  metrics::CounterFamily& reloads_;
  metrics::GaugeFamily& last_success_;
  metrics::CounterFamily& reconnects_;
  metrics::GaugeFamily& queue_depth_;
  metrics::CounterFamily& queue_adds_;
  metrics::CounterFamily& queue_retries_;
  std::string revision_;
  std::uint64_t seen_adds_ = 0, seen_retries_ = 0, seen_reconnects_ = 0;
};

}  // namespace stackd::manager

#pragma once
// The metrics every reconciler shares, kept by the runtime (the names the
// shipped stackd dashboard and alerts use): reconciles by reconciler and
// result, their duration, the work queue, the revision being enforced.
// Reconcilers register their own metrics on the same Registry.
#include <string>

#include "common/metrics/metrics.hpp"
#include "runtime/work_queue.hpp"

namespace stackd::runtime {

class RuntimeMetrics {
 public:
  explicit RuntimeMetrics(metrics::Registry& registry);

  // Series for a registered reconciler exist from the start, so rate() works at once.
  void declare_reconciler(const std::string& reconciler);
  void reconciled(const std::string& reconciler, bool ok, double seconds, double unix_time);
  void manifest_valid(bool valid);
  // The pinned revision, and what its source calls it ("git", "main@sha1:...").
  void revision(const std::string& revision, const std::string& source, const std::string& source_revision);
  // Refreshes queue gauges and counters from the queue's own counts, then exposes everything.
  std::string expose(const WorkQueueStats& queue);

 private:
  metrics::Registry& registry_;
  metrics::CounterFamily& reconciles_;
  metrics::HistogramFamily& reconcile_seconds_;
  metrics::GaugeFamily& revision_info_;
  metrics::GaugeFamily& source_revision_info_;
  metrics::GaugeFamily& manifest_valid_;
  metrics::GaugeFamily& last_success_;
  metrics::GaugeFamily& queue_depth_;
  metrics::GaugeFamily& queue_longest_;
  metrics::CounterFamily& queue_adds_;
  metrics::CounterFamily& queue_retries_;
  std::string revision_;
  std::pair<std::string, std::string> source_revision_;
  std::uint64_t seen_adds_ = 0, seen_retries_ = 0;
};

}  // namespace stackd::runtime

#include "runtime/runtime_metrics.hpp"

namespace stackd::runtime {

RuntimeMetrics::RuntimeMetrics(metrics::Registry& registry)
    : registry_(registry),
      reconciles_(registry.counter("stackd_reconcile_total", "Reconciles by reconciler and result.",
                                   {"reconciler", "result"})),
      reconcile_seconds_(registry.histogram("stackd_reconcile_duration_seconds", "Time one reconcile took.",
                                            {0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120},
                                            {"reconciler"})),
      revision_info_(registry.gauge("stackd_manifest_revision_info", "The manifest revision being enforced.",
                                    {"revision"})),
      source_revision_info_(registry.gauge("stackd_source_revision_info",
                                           "What the source calls the revision being enforced.",
                                           {"source", "revision"})),
      manifest_valid_(registry.gauge("stackd_manifest_valid", "1 when the desired state as last read is valid.")),
      last_success_(registry.gauge("stackd_last_successful_reconcile_timestamp_seconds",
                                   "Unix time of the last successful reconcile.")),
      queue_depth_(registry.gauge("stackd_workqueue_depth", "Keys waiting in the work queue.")),
      queue_longest_(registry.gauge("stackd_workqueue_longest_running_processor_seconds",
                                    "How long the longest-running reconcile in flight has been running.")),
      queue_adds_(registry.counter("stackd_workqueue_adds_total", "Keys added to the work queue.")),
      queue_retries_(registry.counter("stackd_workqueue_retries_total", "Keys re-queued with backoff.")) {
  declare_reconciler("manifest");
  queue_adds_.get();
  queue_retries_.get();
}

void RuntimeMetrics::declare_reconciler(const std::string& reconciler) {
  for (const char* result : {"success", "error"}) reconciles_.with({reconciler, result});
}

void RuntimeMetrics::reconciled(const std::string& reconciler, bool ok, double seconds, double unix_time) {
  reconciles_.with({reconciler, ok ? "success" : "error"}).inc();
  reconcile_seconds_.with({reconciler}).observe(seconds);
  if (ok) last_success_.get().set(unix_time);
}

void RuntimeMetrics::manifest_valid(bool valid) { manifest_valid_.get().set(valid ? 1 : 0); }

void RuntimeMetrics::revision(const std::string& revision, const std::string& source,
                              const std::string& source_revision) {
  if (revision != revision_) {
    if (!revision_.empty()) revision_info_.remove({revision_});
    revision_ = revision;
    revision_info_.with({revision}).set(1);
  }
  std::pair<std::string, std::string> next{source, source_revision};
  if (next != source_revision_) {
    if (!source_revision_.first.empty()) source_revision_info_.remove({source_revision_.first, source_revision_.second});
    source_revision_ = next;
    source_revision_info_.with({source, source_revision}).set(1);
  }
}

std::string RuntimeMetrics::expose(const WorkQueueStats& q) {
  queue_depth_.get().set(static_cast<double>(q.depth));
  queue_longest_.get().set(std::chrono::duration<double>(q.longest_processing).count());
  if (q.adds > seen_adds_) queue_adds_.get().inc(static_cast<double>(q.adds - seen_adds_));
  if (q.retries > seen_retries_) queue_retries_.get().inc(static_cast<double>(q.retries - seen_retries_));
  seen_adds_ = q.adds;
  seen_retries_ = q.retries;
  return registry_.expose();
}

}  // namespace stackd::runtime

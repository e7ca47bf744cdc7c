#pragma once
// What a reload that did not end Unchanged or Reloaded means to the runtime,
// the same for every component reloaded through live_config: a config the
// checker rejects, or one the component refused and that was rolled back,
// waits for an edit (the same bytes get the same answer); a component not
// ready for a reload is retried with backoff.
#include <string>

#include "reconcilers/live_config/live_config_reloader.hpp"
#include "runtime/reconciler.hpp"

namespace stackd::live_config {

// `component` as in reasons ("Prometheus": PrometheusConfigRejected,
// PrometheusReloadFailed, PrometheusNotReady); messages start with its
// lower-case name. `outcome` is Rejected, RolledBack or NotReady.
runtime::ReconcileError reload_failure(const std::string& component, const ReloadOutcome& outcome);

}  // namespace stackd::live_config

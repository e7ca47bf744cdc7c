#include "reconcilers/live_config/reload_failure.hpp"

#include <algorithm>
#include <cctype>

namespace stackd::live_config {

runtime::ReconcileError reload_failure(const std::string& component, const ReloadOutcome& outcome) {
  using runtime::ReconcileError;
  std::string lower = component;
  std::transform(lower.begin(), lower.end(), lower.begin(), [](unsigned char c) { return std::tolower(c); });
  switch (outcome.kind) {
    case ReloadOutcome::Kind::Rejected:
      // The checker's verdict first: its first line is file:line:col in the user's file.
      return ReconcileError(component + "ConfigRejected",
                            outcome.message + "\n" + lower + " configuration rejected, last good kept",
                            ReconcileError::Retry::Never);
    case ReloadOutcome::Kind::RolledBack:
      return ReconcileError(component + "ReloadFailed", lower + " reload failed and was rolled back: " + outcome.message,
                            ReconcileError::Retry::Never);
    default:
      return ReconcileError(component + "NotReady", lower + " not ready for a reload: " + outcome.message);
  }
}

}  // namespace stackd::live_config

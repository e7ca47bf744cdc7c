#include "reconcilers/ownership/ownership_reconciler.hpp"

#include "runtime/manager.hpp"

namespace stackd::ownership {

namespace net = boost::asio;
using runtime::ReconcileError;

std::vector<std::string> OwnershipReconciler::keys_for_component(std::string_view component) const {
  // Networks and volumes (the record is a volume) say "look again" with "".
  if (component.empty()) return {kOwnershipKey};
  return {};
}

net::awaitable<runtime::Result> OwnershipReconciler::reconcile(const runtime::Request&, runtime::Context& context) {
  const auto& m = context.snapshot->manifest;
  try {
    co_await claim_.claim(m.name, runtime::endpoints_listen(listen_, context.snapshot.get()));
  } catch (const ClaimRefused& e) {
    // Looked at again at the next resync or edit; another daemon's stop
    // removes its record, and then this one claims the stack again.
    throw ReconcileError("AnotherDaemon", e.what(), ReconcileError::Retry::Never);
  }
  co_return runtime::Result{};
}

net::awaitable<void> claim_first(DaemonClaim& claim, std::string listen, desired::SnapshotPtr snapshot) {
  try {
    co_await claim.claim(snapshot->manifest.name, runtime::endpoints_listen(listen, snapshot.get()));
  } catch (const ClaimRefused& e) {
    throw ReconcileError("AnotherDaemon", e.what(), ReconcileError::Retry::Never);
  }
}

}  // namespace stackd::ownership

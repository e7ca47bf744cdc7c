#pragma once
// The daemon's record of the stack it manages (daemon_ownership.hpp), kept
// true like any object stackd owns: key "ownership", looked at with every
// pass of the manifest, after infrastructure events and at every resync. A
// removed record is put back, a moved endpoint rewritten, a renamed stack
// claimed under its new name (the old record given up); a stack another
// daemon took over (--force) is Degraded with reason AnotherDaemon.
// Registered by `stackd run` only: `apply` claims nothing.
#include "reconcilers/ownership/daemon_ownership.hpp"
#include "runtime/reconciler.hpp"

namespace stackd::ownership {

inline constexpr const char* kOwnershipKey = "ownership";

class OwnershipReconciler final : public runtime::Reconciler {
 public:
  // `listen`: the daemon's --listen ("" follows spec.stackd).
  OwnershipReconciler(DaemonClaim& claim, std::string listen) : claim_(claim), listen_(std::move(listen)) {}
  std::string_view name() const override { return kOwnershipKey; }
  std::vector<std::string> keys(const desired::Snapshot&) const override { return {kOwnershipKey}; }
  std::vector<std::string> keys_for_component(std::string_view component) const override;
  boost::asio::awaitable<runtime::Result> reconcile(const runtime::Request& request, runtime::Context& context) override;
  // The record is the daemon's own bookkeeping, not part of the stack: diff shows nothing of it.
  boost::asio::awaitable<std::vector<runtime::Change>> plan(const runtime::Request&, runtime::Context&) override {
    co_return std::vector<runtime::Change>{};
  }

 private:
  DaemonClaim& claim_;
  std::string listen_;
};

// The daemon's first claim, before it acts (runtime::ManagerOptions::admit):
// a stack another daemon holds is a terminal ReconcileError (AnotherDaemon),
// which ends `stackd run` with exit code 1.
boost::asio::awaitable<void> claim_first(DaemonClaim& claim, std::string listen, desired::SnapshotPtr snapshot);

}  // namespace stackd::ownership

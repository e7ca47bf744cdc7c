#pragma once
// The stack's conditions as a pure function of what the runtime knows: the
// first full reconcile, the revisions, the per-key errors and the queue.
// runtime/manager.cpp gathers the inputs and stores the result in StackStatus.
//
//   Degraded    the desired-state error first, else every key's error.
//   Ready       "the stack serves": False until the first full reconcile has
//               finished, and False while a key keeps failing (a crash loop,
//               a foreign name holder, an engine that does not answer). An
//               edit a key refused while keeping what it had (a rejected rule
//               file rolled back, a recreate put back, an invalid manifest)
//               leaves Ready True: the
//               stack still runs the last good revision, and the message says
//               which; Degraded says why the edit was refused.
//   Progressing keys queued or in flight.
#include <optional>
#include <string>
#include <vector>

namespace stackd::runtime {

struct KeyFailure {
  std::string key, reason, message;
  // The key refused the desired state and left the world as its last
  // success did (ReconcileError::keeps_last_good: a config rejected and
  // rolled back, a recreate put back; it waits for an edit or a slow retry).
  bool keeps_last_good = false;
  // The revision the key last converged; "" if it never did.
  std::string last_good_revision;
};

struct ConditionInputs {
  bool first_reconcile_done = false;  // every key converged one revision, once
  std::string pinned_revision;        // the revision being enforced ("" none yet)
  std::string applied_revision;       // the last revision every key converged
  bool pinned_converged = false;      // every key converged the pinned revision
  std::optional<KeyFailure> desired_state;  // the last load of the desired state failed
  std::vector<KeyFailure> keys;             // keys in error, by key
  bool busy = false;                        // keys queued or in flight
};

struct DerivedCondition {
  bool status = false;
  std::string reason, message;
};

struct DerivedConditions {
  DerivedCondition ready, progressing, degraded;
};

DerivedConditions derive_conditions(const ConditionInputs& in);

// A revision as people read it: its first 12 hex digits (after "sha256:"
// where it has that prefix).
std::string short_revision(const std::string& revision);

}  // namespace stackd::runtime

#include "runtime/conditions.hpp"

namespace stackd::runtime {

std::string short_revision(const std::string& revision) {
  return revision.substr(0, revision.starts_with("sha256:") ? 19 : 12);
}

namespace {

std::string join_keys(const std::vector<const KeyFailure*>& failures) {
  std::string out;
  for (const auto* f : failures) out += (out.empty() ? "" : ", ") + f->key;
  return out;
}

DerivedCondition ready_condition(const ConditionInputs& in) {
  if (!in.first_reconcile_done) return {false, "Starting", "the first full reconcile has not finished"};
  std::vector<const KeyFailure*> failing, refused;
  for (const auto& k : in.keys) (k.keeps_last_good ? refused : failing).push_back(&k);
  if (!failing.empty()) return {false, "Degraded", join_keys(failing) + " failing: see Degraded"};
  if (in.desired_state || !refused.empty()) {
    std::vector<std::string> parts;
    if (in.desired_state)
      parts.push_back("the latest desired state was not loaded (" + in.desired_state->reason +
                      "): still enforcing revision " + short_revision(in.pinned_revision));
    if (!refused.empty()) {
      std::string part = "revision " + short_revision(in.pinned_revision) + " is refused by " + join_keys(refused) +
                         "; the stack still runs the last good revision " + short_revision(in.applied_revision);
      for (const auto* k : refused)
        if (!k->last_good_revision.empty() && k->last_good_revision != in.applied_revision)
          part += " (" + k->key + " keeps revision " + short_revision(k->last_good_revision) + ")";
      parts.push_back(part);
    }
    std::string message;
    for (const auto& p : parts) message += (message.empty() ? "" : "; ") + p;
    return {true, "LastGoodRevision", message + "; see Degraded"};
  }
  if (!in.pinned_converged)
    return {true, "RollingOut", "running revision " + short_revision(in.applied_revision) + " while revision " +
                                    short_revision(in.pinned_revision) + " rolls out"};
  return {true, "Converged", "revision " + short_revision(in.pinned_revision)};
}

}  // namespace

DerivedConditions derive_conditions(const ConditionInputs& in) {
  DerivedConditions out;
  if (in.desired_state) {
    out.degraded = {true, in.desired_state->reason, in.desired_state->message};
  } else if (!in.keys.empty()) {
    std::string message;
    for (const auto& k : in.keys) message += (message.empty() ? "" : "; ") + k.key + ": " + k.message;
    out.degraded = {true, in.keys.front().reason, message};
  } else {
    out.degraded = {false, "AsExpected", ""};
  }
  out.progressing = {in.busy, in.busy ? "Reconciling" : "Idle", ""};
  out.ready = ready_condition(in);
  return out;
}

}  // namespace stackd::runtime

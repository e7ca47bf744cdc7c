#pragma once
// The daemon's status model: what `stackd status` prints and `/status`
// serves, as kstatus-style conditions plus one entry per component.
//
//   Ready       — True when every enabled component matches the manifest.
//   Progressing — True while a change is being rolled out.
//   Degraded    — True when something is wrong (invalid manifest edit, a
//                 container that keeps crashing, a foreign container holding
//                 a name); reason + message say what.
//
// A condition's lastTransitionTime changes only when its status flips, as in
// Kubernetes' meta.SetStatusCondition. Messages are bounded and pass through
// the redaction list, so a secret that leaks into an error text (a password
// echoed by an API) never reaches /status; the model has no field for
// secrets at all.
#include <nlohmann/json.hpp>

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "runtime/clock.hpp"

namespace stackd::runtime {

inline constexpr std::string_view kConditionReady = "Ready";
inline constexpr std::string_view kConditionProgressing = "Progressing";
inline constexpr std::string_view kConditionDegraded = "Degraded";

// Longest message kept; longer ones are cut with a marker.
inline constexpr std::size_t kMaxStatusMessage = 2048;
// Most components accepted when parsing a /status document.
inline constexpr std::size_t kMaxStatusComponents = 64;

struct Condition {
  std::string type;  // Ready | Progressing | Degraded
  bool status = false;
  std::string reason;  // CamelCase, machine-readable: ManifestInvalid, NameConflict, ...
  std::string message;  // for people
  SystemTime last_transition_time{};
};

struct ComponentStatus {
  std::string name;  // prometheus | grafana | node-exporter | ollama-exporter | ...
  std::string container_id;  // empty when there is no container
  std::string state;  // Docker state: running, exited, ... or "missing"
  std::optional<SystemTime> last_reconcile_time;
  std::string last_error;  // empty after a successful reconcile
};

class StackStatus {
 public:
  std::string stack;              // metadata.name
  std::string applied_revision;   // manifest revision last converged (sha256:...)
  std::string attempted_revision; // manifest revision last tried
  std::vector<Condition> conditions;
  std::map<std::string, ComponentStatus> components;  // by name: stable output

  // Sets a condition, keeping lastTransitionTime unless the status flips.
  // Returns true when anything visible changed.
  bool set_condition(std::string_view type, bool status, std::string reason, std::string message, SystemTime now);
  const Condition* condition(std::string_view type) const;
  bool is_true(std::string_view type) const;

  // Records a reconcile of one component; error empty on success.
  void record_reconcile(const std::string& component, std::string container_id, std::string state,
                        std::string error, SystemTime now);
  // Forgets a component that left the manifest.
  void remove_component(const std::string& component) { components.erase(component); }

  // Values (passwords, tokens) that must never appear in a message. Not
  // serialised. Empty strings are ignored.
  void set_redactions(std::vector<std::string> secrets);

  // Bounds, strips control characters and redacts.
  std::string sanitize(std::string text) const;

 private:
  std::vector<std::string> redactions_;
};

// RFC 3339 UTC with seconds: 2026-01-01T00:00:00Z.
std::string format_time(SystemTime t);
// Inverse of format_time (also accepts fractional seconds); nullopt if malformed.
std::optional<SystemTime> parse_time(std::string_view text);

// {"stack":..., "appliedRevision":..., "attemptedRevision":...,
//  "conditions":[{"type","status":"True|False","reason","message","lastTransitionTime"}],
//  "components":[{"name","containerId","state","lastReconcileTime","lastError"}]}
void to_json(nlohmann::json& j, const StackStatus& s);
// Throws std::invalid_argument on a document that is not a status (or exceeds
// the bounds), so `stackd status` can report a wrong endpoint clearly.
void from_json(const nlohmann::json& j, StackStatus& s);

// The first line of a message, for a table row, saying how many lines were
// left out (`stackd status -o json` shows them all).
std::string first_line(const std::string& text);

// Human text for `stackd status` (now: for "3m ago"). A multi-line message
// (promtool's, amtool's) shows its first line.
std::string format_status(const StackStatus& s, SystemTime now);

}  // namespace stackd::runtime

#pragma once
// A plan: what a reconcile would change now, and why. Every reconciler
// computes its share the same way for `stackd diff` (Reconciler::plan) and
// for itself before it acts (reconcile() executes exactly what its plan
// says), so what diff shows is what apply and the daemon do.
//
// Shown by `stackd diff` as text and as JSON (docs/manifest.md, "diff"):
// {"object", "name", "action", "reason", "fields": [{"path", "old", "new"}],
//  "diff", "outside"}.
#include <nlohmann/json.hpp>

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace stackd::runtime {

enum class ObjectKind { Stack, Network, Volume, Container, File, Datasource, Folder, Dashboard };
std::string_view to_string(ObjectKind kind);

enum class Action {
  Create,
  Recreate,  // a container replaced by a new one (its spec changed)
  Start,     // a container that exists, stopped
  Reload,    // live files replaced and the component told to load them
  Update,    // an object changed in place (a datasource, a dashboard, a secret file)
  Move,      // a dashboard to another folder
  Delete,
  Keep,      // left in place on purpose: a renamed stack's data volume
  Conflict,  // stackd will not act: a foreign object holds the name (the reason says what to do)
};
std::string_view to_string(Action action);

struct FieldChange {
  std::string path;  // "image", "command --storage.tsdb.retention.time", "env API_TOKEN", "ports 9090/tcp"
  std::string old_value;
  std::string new_value;
};

struct Change {
  ObjectKind object = ObjectKind::Container;
  std::string name;
  Action action = Action::Update;
  std::string reason;
  std::vector<FieldChange> fields;
  // A unified diff of a file's content (labelled with the user's file), or
  // a dashboard's per-panel summary.
  std::string diff;
  std::string full_diff;  // a dashboard's whole JSON diff (`diff -v`)
  // Made outside stackd (a dashboard edited in the UI, a container removed
  // or stopped, a live file edited in the container): drift, shown apart.
  bool outside = false;
};

// "Plan: 1 to create, 2 to recreate, 1 to reload, 3 dashboards to update, 1 changed outside stackd."
// `heading` names what the list is: "Plan" (diff), "Applied" (apply).
std::string summary_line(const std::vector<Change>& changes, std::string_view heading = "Plan");
// One change as `diff --output json` shows it.
nlohmann::json to_json(const Change& change, bool verbose);

}  // namespace stackd::runtime

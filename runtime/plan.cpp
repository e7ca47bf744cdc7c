#include "runtime/plan.hpp"

#include <map>

namespace stackd::runtime {

std::string_view to_string(ObjectKind kind) {
  switch (kind) {
    case ObjectKind::Stack: return "stack";
    case ObjectKind::Network: return "network";
    case ObjectKind::Volume: return "volume";
    case ObjectKind::Container: return "container";
    case ObjectKind::File: return "file";
    case ObjectKind::Datasource: return "datasource";
    case ObjectKind::Folder: return "folder";
    case ObjectKind::Dashboard: return "dashboard";
  }
  return "?";
}

std::string_view to_string(Action action) {
  switch (action) {
    case Action::Create: return "create";
    case Action::Recreate: return "recreate";
    case Action::Start: return "start";
    case Action::Reload: return "reload";
    case Action::Update: return "update";
    case Action::Move: return "move";
    case Action::Delete: return "delete";
    case Action::Keep: return "keep";
    case Action::Conflict: return "conflict";
  }
  return "?";
}

namespace {

// "to create", "dashboards to update": the words of the summary line.
std::string phrase(Action action, ObjectKind object, int n) {
  const bool grafana = object == ObjectKind::Dashboard || object == ObjectKind::Datasource || object == ObjectKind::Folder;
  std::string what;
  if (grafana) what = std::string(to_string(object)) + (n == 1 ? " " : "s ");
  switch (action) {
    case Action::Keep: return what + "kept";
    case Action::Conflict: return std::string(n == 1 ? "conflict" : "conflicts");
    default: return what + "to " + std::string(to_string(action));
  }
}

}  // namespace

std::string summary_line(const std::vector<Change>& changes, std::string_view heading) {
  if (changes.empty()) return "No changes: the world matches the manifest.";
  // In the order of the enums: containers' words first, then Grafana's.
  std::map<std::pair<int, int>, int> counts;  // (grafana?, action), object for grafana
  std::map<std::pair<int, int>, ObjectKind> kinds;
  int outside = 0;
  for (const auto& c : changes) {
    const bool grafana = c.object == ObjectKind::Dashboard || c.object == ObjectKind::Datasource ||
                         c.object == ObjectKind::Folder;
    std::pair<int, int> key{grafana ? 1 + static_cast<int>(c.object) : 0, static_cast<int>(c.action)};
    ++counts[key];
    kinds[key] = c.object;
    outside += c.outside;
  }
  std::string out = std::string(heading) + ": ";
  bool first = true;
  for (const auto& [key, n] : counts) {
    out += (first ? "" : ", ") + std::to_string(n) + " " + phrase(static_cast<Action>(key.second), kinds[key], n);
    first = false;
  }
  if (outside) out += ", " + std::to_string(outside) + " changed outside stackd";
  return out + ".";
}

nlohmann::json to_json(const Change& c, bool verbose) {
  nlohmann::json fields = nlohmann::json::array();
  for (const auto& f : c.fields) fields.push_back({{"path", f.path}, {"old", f.old_value}, {"new", f.new_value}});
  nlohmann::json j = {{"object", to_string(c.object)}, {"name", c.name},     {"action", to_string(c.action)},
                      {"reason", c.reason},            {"fields", fields},   {"diff", c.diff},
                      {"outside", c.outside}};
  if (verbose && !c.full_diff.empty()) j["fullDiff"] = c.full_diff;
  return j;
}

}  // namespace stackd::runtime

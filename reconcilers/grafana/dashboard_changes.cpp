#include "reconcilers/grafana/dashboard_changes.hpp"

#include <map>
#include <vector>

#include "common/unified_diff.hpp"
#include "desired/grafana/canonical_dashboard.hpp"

namespace stackd::grafana {

using nlohmann::json;

namespace {

// Every panel, rows' nested panels included, by id (else its position).
std::map<std::string, json> panels_of(const json& model) {
  std::map<std::string, json> out;
  std::vector<const json*> stack;
  if (model.is_object() && model.contains("panels") && model["panels"].is_array())
    for (const auto& p : model["panels"]) stack.push_back(&p);
  std::size_t position = 0;
  for (std::size_t i = 0; i < stack.size(); ++i) {
    const json& p = *stack[i];
    if (!p.is_object()) continue;
    std::string key = p.contains("id") ? p["id"].dump() : "#" + std::to_string(position);
    ++position;
    json copy = p;
    if (copy.contains("panels") && copy["panels"].is_array()) {
      for (const auto& child : p["panels"]) stack.push_back(&child);
      copy.erase("panels");
    }
    out.emplace(key, std::move(copy));
  }
  return out;
}

std::string title_of(const json& panel) {
  return panel.is_object() && panel.contains("title") && panel["title"].is_string() ? panel["title"].get<std::string>()
                                                                                    : "";
}

json without_panels(json model) {
  if (model.is_object()) model.erase("panels");
  return model;
}

}  // namespace

std::string panel_summary(const std::optional<json>& old_model, const json& new_model) {
  const json now = canonical_dashboard(new_model);
  auto after = panels_of(now);
  std::string out;
  if (!old_model) {
    out = std::to_string(after.size()) + " panel" + (after.size() == 1 ? "" : "s") + ":";
    for (const auto& [id, p] : after) out += " \"" + title_of(p) + "\"";
    return out + "\n";
  }
  const json was = canonical_dashboard(*old_model);
  auto before = panels_of(was);
  for (const auto& [id, p] : before) {
    auto it = after.find(id);
    if (it == after.end()) out += "panel " + id + " \"" + title_of(p) + "\": removed\n";
    else if (it->second != p) {
      std::string t = title_of(it->second), o = title_of(p);
      out += "panel " + id + " \"" + t + "\": changed" + (o != t ? " (was \"" + o + "\")" : "") + "\n";
    }
  }
  for (const auto& [id, p] : after)
    if (!before.count(id)) out += "panel " + id + " \"" + title_of(p) + "\": added\n";
  if (without_panels(was) != without_panels(now)) {
    std::string keys;
    const json a = without_panels(was), b = without_panels(now);
    for (const auto& [k, v] : b.items())
      if (!a.contains(k) || a[k] != v) keys += (keys.empty() ? "" : ", ") + k;
    for (const auto& [k, v] : a.items())
      if (!b.contains(k)) keys += (keys.empty() ? "" : ", ") + k;
    out += "dashboard settings changed: " + keys + "\n";
  }
  return out;
}

std::string full_dashboard_diff(const json& old_model, const json& new_model, const std::string& source) {
  return unified_diff(canonical_dashboard(old_model).dump(2), canonical_dashboard(new_model).dump(2),
                      "a/" + source + " (in Grafana)", "b/" + source);
}

}  // namespace stackd::grafana

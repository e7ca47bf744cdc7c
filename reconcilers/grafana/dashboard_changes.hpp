#pragma once
// What changes in a dashboard, for people: a summary by panel (added,
// removed, changed, with titles) and the whole JSON diff of the canonical
// forms (`stackd diff -v`). Pure.
#include <nlohmann/json.hpp>

#include <optional>
#include <string>

namespace stackd::grafana {

// "panel 3 \"Tokens/s\": changed\npanel 7 \"GPU\": added\n"; a dashboard that
// does not exist yet lists its panels as added.
std::string panel_summary(const std::optional<nlohmann::json>& old_model, const nlohmann::json& new_model);

// A unified diff of the two canonical JSON documents, pretty-printed,
// labelled with the manifest's file.
std::string full_dashboard_diff(const nlohmann::json& old_model, const nlohmann::json& new_model,
                                const std::string& source);

}  // namespace stackd::grafana

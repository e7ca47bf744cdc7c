#include "api/v1alpha1/dashboard_file.hpp"

#include "api/v1alpha1/field_syntax.hpp"

namespace stackd::manifest {

JsonLimits dashboard_json_limits() {
  JsonLimits l;
  l.max_bytes = 8 * 1024 * 1024;  // the largest community dashboards are ~1 MiB
  l.max_depth = 64;
  return l;
}

std::optional<DashboardDocument> read_dashboard(const FileRef& file, Diagnostics& diags) {
  const std::string& name = file.relative;  // as the manifest names it
  nlohmann::json model;
  try {
    model = parse_json_bounded(file.content, dashboard_json_limits());
  } catch (const JsonError& e) {
    auto at = position_at(file.content, e.offset());
    diags.add_syntax_error(name, file.content, at.line, at.column, e.what());
    return std::nullopt;
  }
  if (model.is_object() && model.contains("dashboard") && model["dashboard"].is_object() && model.contains("meta"))
    model = nlohmann::json(model["dashboard"]);
  if (!model.is_object()) {
    diags.add(name, 1, 1, "dashboard: the top level is not a JSON object");
    return std::nullopt;
  }
  auto uid = model.find("uid");
  if (uid == model.end() || !uid->is_string() || uid->get<std::string>().empty()) {
    diags.add(name, 1, 1, "dashboard has no \"uid\"; add a stable one (letters, digits, '-' or '_', at most 40)");
    return std::nullopt;
  }
  if (!is_grafana_uid(uid->get<std::string>())) {
    diags.add(name, 1, 1, "dashboard uid \"" + shown(uid->get<std::string>()) +
                              "\" is invalid (letters, digits, '-' or '_', at most 40 characters)");
    return std::nullopt;
  }
  auto title = model.find("title");
  if (title == model.end() || !title->is_string() || title->get<std::string>().empty()) {
    diags.add(name, 1, 1, "dashboard has no \"title\"");
    return std::nullopt;
  }
  DashboardDocument d{uid->get<std::string>(), title->get<std::string>(), {}};
  d.model = std::move(model);
  return d;
}

}  // namespace stackd::manifest

#include "controller/cli/rendered_output.hpp"

namespace stackd::cli {

using nlohmann::json;

namespace {

std::string masked(const desired::LiveFileSet& set, const TarFile& f) {
  return set.secret.count(f.path) ? "(a secret: " + std::to_string(f.content.size()) + " bytes, not shown)"
                                  : f.content;
}

json datasource_json(const desired::DatasourceSpec& d) {
  return {{"uid", d.uid}, {"name", d.name}, {"type", d.type}, {"url", d.url}, {"access", d.access},
          {"isDefault", d.is_default}, {"jsonData", d.json_data}};
}

}  // namespace

json rendered_json(const desired::DesiredState& d, std::optional<manifest::ComponentKind> only) {
  json out = {{"stack", d.stack}, {"revision", d.revision}, {"containers", json::array()}};
  for (const auto& c : d.containers) {
    if (only && c.component != *only) continue;
    json files = json::array();
    for (const auto& set : d.live_files) {
      if (set.component != c.component) continue;
      for (const auto& f : set.files) {
        const bool secret = set.secret.count(f.path) > 0;
        files.push_back({{"path", "/" + f.path}, {"source", set.source_of(f.path)}, {"secret", secret},
                         {"content", secret ? json() : json(f.content)}});
      }
    }
    out["containers"].push_back({{"name", c.name},
                                 {"component", manifest::to_string(c.component)},
                                 {"create", c.create_body},
                                 {"files", files}});
  }
  if (d.grafana && (!only || *only == manifest::ComponentKind::Grafana)) {
    json g = {{"url", d.grafana->base_url}, {"datasources", json::array()}, {"folders", d.grafana->folders},
              {"dashboards", json::array()}};
    for (const auto& ds : d.grafana->datasources) g["datasources"].push_back(datasource_json(ds));
    for (const auto& dash : d.grafana->dashboards)
      g["dashboards"].push_back({{"uid", dash.uid}, {"source", dash.source}, {"folder", dash.folder_title},
                                 {"model", dash.model}});
    out["grafana"] = g;
  }
  return out;
}

std::string rendered_text(const desired::DesiredState& d, std::optional<manifest::ComponentKind> only) {
  std::string out;
  for (const auto& c : d.containers) {
    if (only && c.component != *only) continue;
    out += "# container " + c.name + " (" + std::string(manifest::to_string(c.component)) + ")\n";
    out += c.create_body.dump(2) + "\n";
    for (const auto& set : d.live_files) {
      if (set.component != c.component) continue;
      for (const auto& f : set.files) {
        out += "# file /" + f.path + " in " + c.name + " (" + set.source_of(f.path) + ")\n";
        auto content = masked(set, f);
        out += content + (content.empty() || content.back() != '\n' ? "\n" : "");
      }
    }
    out += "\n";
  }
  if (d.grafana && (!only || *only == manifest::ComponentKind::Grafana)) {
    for (const auto& ds : d.grafana->datasources)
      out += "# grafana datasource " + ds.name + " at " + d.grafana->base_url + "\n" + datasource_json(ds).dump(2) + "\n";
    for (const auto& dash : d.grafana->dashboards)
      out += "# grafana dashboard " + dash.uid + " (" + dash.source + ") in folder \"" +
             (dash.folder_title.empty() ? std::string("General") : dash.folder_title) + "\"\n" + dash.model.dump(2) + "\n";
  }
  return out;
}

}  // namespace stackd::cli

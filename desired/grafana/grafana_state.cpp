#include "desired/grafana/grafana_state.hpp"

#include <algorithm>
#include <cctype>
#include <stdexcept>

#include "desired/grafana/canonical_dashboard.hpp"
#include "desired/grafana/datasource_placeholders.hpp"

namespace stackd::grafana {

using nlohmann::json;

bool is_root_folder(const std::string& title) {
  std::string lower = title;
  for (auto& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return lower.empty() || lower == "general";
}

desired::DashboardSpec prepare_dashboard(const json& model, const std::string& source, const std::string& folder,
                                         const std::vector<desired::DatasourceSpec>& datasources,
                                         const std::string& prometheus_uid) {
  std::vector<DatasourceRef> refs;
  for (const auto& ds : datasources) refs.push_back({ds.uid, ds.type});
  desired::DashboardSpec d;
  d.uid = model.value("uid", "");
  d.title = model.value("title", "");
  d.source = source;
  d.folder_title = is_root_folder(folder) ? "" : folder;
  d.model = resolve_datasource_inputs(model, prometheus_uid, refs);
  // A stale id makes Grafana answer 404 (grafana-operator #1108); the
  // version is the one stackd reads when it saves.
  d.model.erase("id");
  d.model.erase("version");
  json& tags = d.model["tags"];
  if (!tags.is_array()) tags = json::array();
  if (std::find(tags.begin(), tags.end(), json(kManagedTag)) == tags.end()) tags.push_back(kManagedTag);
  d.hash = dashboard_hash(d.model);
  return d;
}

std::optional<desired::GrafanaState> render_grafana_state(const manifest::Manifest& m,
                                                          const std::vector<desired::ContainerSpec>& containers) {
  if (!m.grafana.enabled) return std::nullopt;
  const desired::ContainerSpec *grafana = nullptr, *prometheus = nullptr;
  for (const auto& c : containers) {
    if (c.component == manifest::ComponentKind::Grafana) grafana = &c;
    if (c.component == manifest::ComponentKind::Prometheus) prometheus = &c;
  }
  // spec.grafana.url: an existing Grafana that stackd syncs but does not run.
  if (!grafana && m.grafana.url.empty()) return std::nullopt;
  desired::GrafanaState g;
  g.runs_container = m.grafana.url.empty();
  g.base_url = g.runs_container ? grafana->api_url : m.grafana.url;
  g.user = m.grafana.admin_user;
  g.resync_interval = m.grafana.resync_interval;
  if (prometheus)
    g.datasources.push_back({g.prometheus_datasource_uid, "Prometheus", "prometheus", prometheus->peer_url, "proxy", true});
  for (const auto& ds : m.grafana.datasources)
    g.datasources.push_back({ds.uid, ds.name, ds.type, ds.url, ds.access, ds.is_default});

  std::string errors;
  for (const auto& source : m.grafana.dashboards) {
    if (!is_root_folder(source.folder) &&
        std::find(g.folders.begin(), g.folders.end(), source.folder) == g.folders.end())
      g.folders.push_back(source.folder);
    for (std::size_t i = 0; i < source.documents.size() && i < source.files.size(); ++i) {
      try {
        g.dashboards.push_back(prepare_dashboard(source.documents[i].model, source.files[i].relative, source.folder,
                                                 g.datasources, g.prometheus_datasource_uid));
      } catch (const std::exception& e) {
        errors += (errors.empty() ? "" : "\n") + source.files[i].relative + ": " + e.what();
      }
    }
  }
  if (!errors.empty()) throw std::invalid_argument(errors);
  return g;
}

}  // namespace stackd::grafana

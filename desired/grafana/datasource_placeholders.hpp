#pragma once
// Dashboards exported from grafana.com (e.g. "Node Exporter Full") refer to
// their datasource through import-time inputs: an `__inputs` list such as
// [{"name":"DS_PROMETHEUS","type":"datasource","pluginId":"prometheus"}] and
// `${DS_PROMETHEUS}` in panel and variable definitions. Grafana's import UI
// asks the user for them; stackd resolves them to the stack's datasources.
//
// Only names declared in `__inputs` (plus DS_PROMETHEUS, which community
// dashboards use without declaring) are replaced, so dashboard variables such
// as `${datasource}` are left for Grafana to resolve at view time.
#include <nlohmann/json.hpp>

#include <stdexcept>
#include <string>
#include <vector>

namespace stackd::grafana {

struct DatasourceRef {
  std::string uid;
  std::string type;  // plugin id: "prometheus", "loki", ...
};

// Returns the model with placeholders replaced and `__inputs` removed.
// Throws std::invalid_argument naming the input when a datasource input needs
// a plugin type the stack does not declare.
nlohmann::json resolve_datasource_inputs(const nlohmann::json& model, const std::string& prometheus_uid,
                                         const std::vector<DatasourceRef>& datasources);

}  // namespace stackd::grafana

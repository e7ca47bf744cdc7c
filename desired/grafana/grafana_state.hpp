#pragma once
// What Grafana should hold for a manifest: the stack's Prometheus
// datasource and the manifest's own, the folders its dashboards go to, and
// every dashboard ready to push (desired/desired_state.hpp, GrafanaState).
#include <optional>
#include <string>

#include "api/v1alpha1/manifest.hpp"
#include "desired/desired_state.hpp"

namespace stackd::grafana {

// Where the Grafana container stackd runs holds its admin password (what
// GF_SECURITY_ADMIN_PASSWORD__FILE names): the record every stackd managing
// the stack reads, whoever runs it.
inline constexpr const char* kAdminPasswordFile = "/run/secrets/stackd/grafana-admin-password";

// Every dashboard stackd pushes carries this tag: with a stackd version
// message in its history, it marks the dashboards stackd may delete.
inline constexpr const char* kManagedTag = "stackd-managed";

// "" and "General" (any case) are Grafana's root, not a folder.
bool is_root_folder(const std::string& title);

// One dashboard ready to push: datasource placeholders resolved against
// `datasources`, stackd's tag added, id and version dropped, hashed; uid and
// title from the model. Throws std::invalid_argument when it needs a
// datasource type the stack does not have.
desired::DashboardSpec prepare_dashboard(const nlohmann::json& model, const std::string& source,
                                         const std::string& folder,
                                         const std::vector<desired::DatasourceSpec>& datasources,
                                         const std::string& prometheus_uid = "prometheus");

// nullopt when the manifest syncs no Grafana. `containers` are the rendered
// containers (the Prometheus datasource points at Prometheus's peer URL, the
// Grafana stackd runs at its API URL). Throws std::invalid_argument naming
// the dashboard file when one cannot be prepared (a datasource input of a
// type the stack does not have), every problem in one message.
std::optional<desired::GrafanaState> render_grafana_state(const manifest::Manifest& m,
                                                          const std::vector<desired::ContainerSpec>& containers);

}  // namespace stackd::grafana

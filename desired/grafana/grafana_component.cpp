// Grafana: its container (database on the data volume) and its admin
// password, delivered as a file Grafana reads through
// GF_SECURITY_ADMIN_PASSWORD__FILE, never as an environment value.
#include "desired/component_table.hpp"
#include "desired/container_document.hpp"
#include "desired/grafana/grafana_state.hpp"

namespace stackd::desired {

namespace {

constexpr const char* kPasswordDir = "/run/secrets/stackd";
constexpr const char* kPasswordFile = grafana::kAdminPasswordFile;
constexpr unsigned kGrafanaUid = 472;  // the uid Grafana's official image runs as

RenderedComponent render_grafana(const RenderInput& in) {
  const auto& m = in.manifest;
  const auto& g = m.grafana;
  RenderedComponent out;
  auto& s = out.container;
  s = container_spec(m, ComponentKind::Grafana, g.image);
  auto& env = s.create_body["Env"];
  env.push_back("GF_SECURITY_ADMIN_USER=" + g.admin_user);
  env.push_back(std::string("GF_SECURITY_ADMIN_PASSWORD__FILE=") + kPasswordFile);
  env.push_back("GF_SERVER_HTTP_ADDR=" + bind_address(m, g));
  env.push_back("GF_SERVER_HTTP_PORT=" + std::to_string(g.port));
  env.push_back("GF_ANALYTICS_REPORTING_ENABLED=false");
  env.push_back("GF_ANALYTICS_CHECK_FOR_UPDATES=false");
  if (!g.args.empty()) {
    nlohmann::json cmd = nlohmann::json::array();
    append_args(cmd, g);
    s.create_body["Cmd"] = cmd;
  }
  mount_data_volume(m, s);
  set_urls(m, s, g);
  s.ready_url = s.api_url + "/api/health";

  LiveFileSet password;
  password.kind = LiveSet::GrafanaAdminPassword;
  password.component = ComponentKind::Grafana;
  password.dir = kPasswordDir;
  password.generated_from = "spec.grafana.admin";
  const std::string member = std::string(kPasswordFile).substr(1);
  password.files.push_back(TarFile{member, in.values.grafana_admin_password, 0400, kGrafanaUid, 0});
  password.secret.insert(member);
  if (g.admin_password_file) password.sources[member] = g.admin_password_file->relative;
  out.live_files.push_back(std::move(password));
  return out;
}

}  // namespace

ComponentDefinition grafana_component() { return {ComponentKind::Grafana, nullptr, render_grafana}; }

}  // namespace stackd::desired

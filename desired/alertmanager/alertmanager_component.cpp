// Alertmanager: one instance per host (no cluster gossip port), its
// silences and notification log on the data volume, its config and secrets
// as live files: an edit is a validated hot reload, never a recreate.
#include "desired/alertmanager/alertmanager_config.hpp"
#include "desired/component_table.hpp"
#include "desired/container_document.hpp"
#include "desired/live_file_set.hpp"

namespace stackd::desired {

namespace {

std::vector<prometheus::ScrapeTarget> alertmanager_targets(const RenderInput& in) {
  return {{"alertmanager", scrape_address(in.manifest, ComponentKind::Alertmanager)}};
}

RenderedComponent render_alertmanager(const RenderInput& in) {
  const auto& m = in.manifest;
  const auto& a = m.alertmanager;
  RenderedComponent out;
  auto& s = out.container;
  s = container_spec(m, ComponentKind::Alertmanager, a.image);
  nlohmann::json cmd = {std::string("--config.file=") + alertmanager::kConfigFile,
                        std::string("--storage.path=") + alertmanager::kDataDir,
                        "--web.listen-address=" + listen_address(m, a), "--cluster.listen-address="};
  append_args(cmd, a);
  s.create_body["Cmd"] = cmd;
  mount_data_volume(m, s);
  set_urls(m, s, a);

  LiveFileSet live;
  live.kind = LiveSet::AlertmanagerConfig;
  live.component = ComponentKind::Alertmanager;
  live.dir = alertmanager::kConfigDir;
  live.generated_from = "spec.alertmanager";
  live.files = alertmanager::render_files(a);
  const std::string config_member = std::string(alertmanager::kConfigFile).substr(1);
  if (a.config_file) live.sources[config_member] = a.config_file->relative;
  for (const auto& receiver : a.receivers)
    for (const auto& [field, file] : receiver.secret_files) {
      const auto member = alertmanager::secret_path(receiver.name, field).substr(1);
      live.sources[member] = file.relative;
      live.secret.insert(member);
    }
  live.loaded_marker = loaded_marker(live.dir, live.files);
  out.live_files.push_back(std::move(live));
  return out;
}

}  // namespace

ComponentDefinition alertmanager_component() { return {ComponentKind::Alertmanager, alertmanager_targets, render_alertmanager}; }

}  // namespace stackd::desired

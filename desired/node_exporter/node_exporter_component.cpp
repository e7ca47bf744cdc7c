// node-exporter: host metrics, from the host's root and pid namespace.
#include "desired/component_table.hpp"
#include "desired/container_document.hpp"

namespace stackd::desired {

namespace {

// The user's args already set this collector, either way (node-exporter's
// flag parser refuses a flag given twice).
bool collector_flag_given(const std::vector<std::string>& args, const std::string& collector) {
  const std::string on = "--collector." + collector, off = "--no-collector." + collector;
  for (const auto& a : args)
    if (a == on || a == off || a.rfind(on + "=", 0) == 0) return true;
  return false;
}

std::vector<prometheus::ScrapeTarget> node_exporter_targets(const RenderInput& in) {
  return {{"node-exporter", scrape_address(in.manifest, ComponentKind::NodeExporter)}};
}

RenderedComponent render_node_exporter(const RenderInput& in) {
  const auto& m = in.manifest;
  const auto& n = m.node_exporter;
  RenderedComponent out;
  auto& s = out.container;
  s = container_spec(m, ComponentKind::NodeExporter, n.image);
  nlohmann::json cmd = {"--web.listen-address=" + listen_address(m, n), "--path.rootfs=/host"};
  // AMD cards: the drm collector (off by default) reads their utilisation
  // and VRAM, hwmon (on by default, unless the user's args turn the
  // defaults off) their temperature and power. --path.sysfs stays the
  // user's to set.
  if (in.gpu.vendor == manifest::GpuVendor::Amd)
    for (const char* collector : {"drm", "hwmon"})
      if (!collector_flag_given(n.args, collector)) cmd.push_back(std::string("--collector.") + collector);
  append_args(cmd, n);
  s.create_body["Cmd"] = cmd;
  // "/" is the same path for stackd on the host or in a container, since the
  // engine resolves it. No rslave propagation: it fails where / is not a
  // shared mount.
  s.create_body["HostConfig"]["Binds"] = nlohmann::json::array({"/:/host:ro"});
  s.create_body["HostConfig"]["PidMode"] = "host";
  set_urls(m, s, n);
  return out;
}

}  // namespace

ComponentDefinition node_exporter_component() { return {ComponentKind::NodeExporter, node_exporter_targets, render_node_exporter}; }

}  // namespace stackd::desired

// Prometheus: its container (TSDB on the data volume, lifecycle API for hot
// reloads) and its live files: prometheus.yml with a scrape job for every
// component of the table, and the manifest's rule files with the alert
// thresholds of spec.alerts filled in.
#include <set>

#include "desired/component_table.hpp"
#include "desired/container_document.hpp"
#include "desired/live_file_set.hpp"
#include "desired/prometheus/alert_thresholds.hpp"
#include "desired/prometheus/prometheus_config.hpp"

namespace stackd::desired {

namespace {

using nlohmann::json;

// Rule files are delivered flat, under their base name (made unique).
std::string rule_file_name(const std::string& relative, std::set<std::string>& used) {
  auto slash = relative.find_last_of('/');
  std::string base = slash == std::string::npos ? relative : relative.substr(slash + 1);
  std::string name = base;
  for (int i = 2; used.count(name); ++i) name = std::to_string(i) + "-" + base;
  used.insert(name);
  return name;
}

std::vector<prometheus::ScrapeTarget> prometheus_targets(const RenderInput& in) {
  return {{"prometheus", scrape_address(in.manifest, ComponentKind::Prometheus)}};
}

// stackd's own endpoints (spec.stackd): on the host, reached from a bridge
// network through the host's gateway.
prometheus::ScrapeTarget stackd_target(const manifest::Manifest& m) {
  return {"stackd", (m.host_network() ? host_address(m.controller.listen) : std::string("host.docker.internal")) +
                        ":" + std::to_string(m.controller.port)};
}

RenderedComponent render_prometheus(const RenderInput& in) {
  const auto& m = in.manifest;
  const auto& p = m.prometheus;
  RenderedComponent out;
  auto& s = out.container;
  s = container_spec(m, ComponentKind::Prometheus, p.image);
  json cmd = {std::string("--config.file=") + prometheus::kConfigFile, "--storage.tsdb.path=/prometheus",
              "--web.enable-lifecycle", "--web.listen-address=" + listen_address(m, p)};
  if (p.retention) cmd.push_back("--storage.tsdb.retention.time=" + prometheus::prometheus_duration(*p.retention));
  if (p.retention_size) cmd.push_back("--storage.tsdb.retention.size=" + std::to_string(*p.retention_size) + "B");
  append_args(cmd, p);
  s.create_body["Cmd"] = cmd;
  mount_data_volume(m, s);
  if (!m.host_network()) add_host_gateway(m, s.create_body);
  set_urls(m, s, p);
  s.ready_url = s.api_url + "/-/ready";

  prometheus::ConfigInput config;
  config.scrape_interval = p.scrape_interval;
  config.evaluation_interval = p.evaluation_interval;
  config.targets = in.scrape_targets;
  // Only while a daemon serves it: plain `apply` leaves no target that is always down.
  if (in.values.daemon_serves_metrics && m.controller.enabled) config.targets.push_back(stackd_target(m));
  if (m.alertmanager.enabled) config.alertmanagers.push_back(scrape_address(m, ComponentKind::Alertmanager));
  if (p.extra_scrape_configs) config.extra_scrape_configs_yaml = p.extra_scrape_configs->content;
  // Every series of this box carries its `host`, so GPU and Ollama series of
  // one box join in local queries, and boxes tell apart on a hub.
  config.external_labels = p.external_labels;
  if (!in.values.host.empty()) {
    config.target_labels["host"] = in.values.host;
    config.external_labels.emplace("host", in.values.host);
  }

  LiveFileSet live;
  live.kind = LiveSet::PrometheusConfig;
  live.component = ComponentKind::Prometheus;
  live.dir = prometheus::kConfigDir;
  live.generated_from = "spec.prometheus";
  std::set<std::string> used;
  for (const auto& r : p.rules) {
    auto name = rule_file_name(r.relative, used);
    config.rule_files.emplace_back(name, prometheus::render_alert_thresholds(r.content, m.alerts, r.relative));
    live.sources[std::string(prometheus::kConfigDir).substr(1) + "/" + prometheus::kRulesSubdir + "/" + name] = r.relative;
  }
  live.files = prometheus::render_files(config);
  if (p.extra_scrape_configs)
    live.user_scrape_configs = LiveFileSet::UserScrapeConfigs{std::string(prometheus::kConfigFile).substr(1),
                                                              p.extra_scrape_configs->relative,
                                                              p.extra_scrape_configs->content};
  live.loaded_marker = loaded_marker(live.dir, live.files);
  out.live_files.push_back(std::move(live));
  return out;
}

}  // namespace

ComponentDefinition prometheus_component() { return {ComponentKind::Prometheus, prometheus_targets, render_prometheus}; }

}  // namespace stackd::desired

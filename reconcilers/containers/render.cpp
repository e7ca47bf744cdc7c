// Renders the manifest into Docker create documents. Every choice that makes
// stackd work without host paths and on both network modes lives here.
#include <algorithm>
#include <set>

#include "common/sha256.hpp"
#include "reconcilers/containers/desired_state.hpp"
#include "api/v1alpha1/labels.hpp"
#include "reconcilers/alertmanager/alertmanager_config.hpp"
#include "reconcilers/live_config/live_config_reloader.hpp"
#include "reconcilers/prometheus/alert_thresholds.hpp"
#include "reconcilers/prometheus/prometheus_config.hpp"

namespace stackd::containers {

using namespace labels;  // the ownership labels of docs/manifest.md, "What stackd owns"

namespace {

using nlohmann::json;
using manifest::Component;
using manifest::Manifest;

constexpr const char* kGrafanaPasswordPath = "run/secrets/stackd/grafana-admin-password";
constexpr unsigned kGrafanaUid = 472;  // the uid Grafana's official image runs as

std::string port_key(std::uint16_t port) { return std::to_string(port) + "/tcp"; }

// Address a process inside the container binds to: the manifest's listen
// address with host networking (the container shares the host's), all
// interfaces inside a bridge network (publishing restricts it on the host).
std::string bind_address(const Manifest& m, const Component& c) {
  if (!m.host_network()) return "0.0.0.0";
  return c.listen.find(':') != std::string::npos && c.listen.front() != '[' ? "[" + c.listen + "]" : c.listen;
}

// Address stackd itself (on the host) uses to reach a published port.
std::string host_address(const Component& c) {
  if (c.listen == "0.0.0.0" || c.listen == "::") return "127.0.0.1";
  return c.listen.find(':') != std::string::npos && c.listen.front() != '[' ? "[" + c.listen + "]" : c.listen;
}

// Address Prometheus uses to scrape another component.
std::string scrape_address(const Manifest& m, const std::string& container, const Component& c) {
  if (m.host_network()) return host_address(c) + ":" + std::to_string(c.port);
  return container + ":" + std::to_string(c.port);
}

void set_urls(const Manifest& m, ContainerSpec& s, const Component& c) {
  s.api_url = "http://" + host_address(c) + ":" + std::to_string(c.port);
  s.peer_url = m.host_network() ? s.api_url : "http://" + s.name + ":" + std::to_string(c.port);
}

json base_body(const Manifest& m, const std::string& component, const Component& c, const std::string& image) {
  json labels = json::object();
  for (const auto& [k, v] : c.labels) labels[k] = v;
  for (const auto& [k, v] : owner_labels(m.name)) labels[k] = v;
  labels[kComponent] = component;

  json env = json::array();
  for (const auto& [k, v] : c.env) env.push_back(k + "=" + v);

  json host = {
      {"RestartPolicy", {{"Name", c.restart == "no" ? "" : c.restart}, {"MaximumRetryCount", 0}}},
      {"LogConfig", {{"Type", "json-file"}, {"Config", {{"max-size", "10m"}, {"max-file", "3"}}}}},
      {"Mounts", json::array()},
  };
  if (c.memory_limit) host["Memory"] = *c.memory_limit;
  if (c.cpus) host["NanoCpus"] = static_cast<std::int64_t>(*c.cpus * 1e9);
  for (const auto& v : c.volumes)
    host["Mounts"].push_back({{"Type", "volume"}, {"Source", v.name}, {"Target", v.target}, {"ReadOnly", v.read_only}});

  json body = {{"Image", image}, {"Labels", labels}, {"Env", env}, {"HostConfig", host}};
  if (m.host_network()) {
    body["HostConfig"]["NetworkMode"] = "host";
  } else {
    body["HostConfig"]["NetworkMode"] = m.network;
    body["NetworkingConfig"] = {{"EndpointsConfig", {{m.network, {{"Aliases", json::array({component})}}}}}};
    if (c.port) {
      body["ExposedPorts"] = {{port_key(c.port), json::object()}};
      body["HostConfig"]["PortBindings"] = {
          {port_key(c.port), json::array({{{"HostIp", c.listen}, {"HostPort", std::to_string(c.port)}}})}};
    }
  }
  if (c.healthcheck) {
    const auto& h = *c.healthcheck;
    auto ns = [](std::chrono::milliseconds d) { return static_cast<std::int64_t>(d.count()) * 1'000'000; };
    body["Healthcheck"] = {{"Test", h.test},
                           {"Interval", ns(h.interval)},
                           {"Timeout", ns(h.timeout)},
                           {"StartPeriod", ns(h.start_period)},
                           {"Retries", h.retries}};
  }
  return body;
}

void add_volume(json& body, const std::string& volume, const std::string& target) {
  body["HostConfig"]["Mounts"].push_back({{"Type", "volume"}, {"Source", volume}, {"Target", target}, {"ReadOnly", false}});
}

void append_args(json& cmd, const Component& c) {
  for (const auto& a : c.args) cmd.push_back(a);
}

// host.docker.internal works on Linux only with an explicit host entry: the
// host's gateway on a bridge network, loopback with host networking.
void add_host_gateway(const Manifest& m, json& body) {
  body["HostConfig"]["ExtraHosts"] =
      json::array({m.host_network() ? "host.docker.internal:127.0.0.1" : "host.docker.internal:host-gateway"});
}

std::string rule_file_name(const std::string& relative, std::set<std::string>& used) {
  auto slash = relative.find_last_of('/');
  std::string base = slash == std::string::npos ? relative : relative.substr(slash + 1);
  std::string name = base;
  for (int i = 2; used.count(name); ++i) name = std::to_string(i) + "-" + base;
  used.insert(name);
  return name;
}

ContainerSpec render_prometheus(const Manifest& m) {
  const auto& p = m.prometheus;
  ContainerSpec s{.component = kPrometheus, .name = m.name + "-" + kPrometheus, .image = p.image};
  s.create_body = base_body(m, kPrometheus, p, p.image);
  json cmd = {std::string("--config.file=") + prometheus::kConfigFile, "--storage.tsdb.path=/prometheus",
              "--web.enable-lifecycle", "--web.listen-address=" + bind_address(m, p) + ":" + std::to_string(p.port)};
  if (p.retention) cmd.push_back("--storage.tsdb.retention.time=" + prometheus::prometheus_duration(*p.retention));
  if (p.retention_size) cmd.push_back("--storage.tsdb.retention.size=" + std::to_string(*p.retention_size) + "B");
  append_args(cmd, p);
  s.create_body["Cmd"] = cmd;
  add_volume(s.create_body, m.name + "-prometheus-data", "/prometheus");
  if (!m.host_network()) add_host_gateway(m, s.create_body);

  prometheus::ConfigInput in;
  in.scrape_interval = p.scrape_interval;
  in.evaluation_interval = p.evaluation_interval;
  in.targets.push_back({"prometheus", scrape_address(m, s.name, p)});
  if (m.node_exporter.enabled)
    in.targets.push_back({"node-exporter", scrape_address(m, m.name + "-" + kNodeExporter, m.node_exporter)});
  if (m.ollama.exporter.enabled)
    in.targets.push_back({"ollama-exporter", scrape_address(m, m.name + "-" + kOllamaExporter, m.ollama.exporter)});
  in.targets.push_back({"stackd", (m.host_network() ? host_address(Component{.listen = m.controller.listen})
                                                    : std::string("host.docker.internal")) +
                                      ":" + std::to_string(m.controller.port)});
  if (m.alertmanager.enabled) {
    const auto address = scrape_address(m, m.name + "-" + kAlertmanager, m.alertmanager);
    in.targets.push_back({"alertmanager", address});
    in.alertmanagers.push_back(address);
  }
  if (p.extra_scrape_configs) in.extra_scrape_configs_yaml = p.extra_scrape_configs->content;
  std::set<std::string> used;
  for (const auto& r : p.rules)
    in.rule_files.emplace_back(rule_file_name(r.relative, used),
                               prometheus::render_alert_thresholds(r.content, m.alerts, r.relative));
  s.live_files = prometheus::render_files(in);
  s.live_files_reconciler = prometheus::kConfigReconcilerKey;
  s.loaded_marker = live_config::loaded_marker(prometheus::kConfigDir, s.live_files);
  set_urls(m, s, p);
  s.ready_url = s.api_url + "/-/ready";
  return s;
}

ContainerSpec render_grafana(const Manifest& m, const RenderContext& ctx) {
  const auto& g = m.grafana;
  ContainerSpec s{.component = kGrafana, .name = m.name + "-" + kGrafana, .image = g.image};
  s.create_body = base_body(m, kGrafana, g, g.image);
  auto& env = s.create_body["Env"];
  env.push_back("GF_SECURITY_ADMIN_USER=" + g.admin_user);
  // The password reaches Grafana as a file, never as an env value.
  env.push_back(std::string("GF_SECURITY_ADMIN_PASSWORD__FILE=/") + kGrafanaPasswordPath);
  env.push_back("GF_SERVER_HTTP_ADDR=" + bind_address(m, g));
  env.push_back("GF_SERVER_HTTP_PORT=" + std::to_string(g.port));
  env.push_back("GF_ANALYTICS_REPORTING_ENABLED=false");
  env.push_back("GF_ANALYTICS_CHECK_FOR_UPDATES=false");
  if (!g.args.empty()) {
    json cmd = json::array();
    append_args(cmd, g);
    s.create_body["Cmd"] = cmd;
  }
  add_volume(s.create_body, m.name + "-grafana-data", "/var/lib/grafana");
  s.live_files.push_back(TarFile{kGrafanaPasswordPath, ctx.grafana_admin_password, 0400, kGrafanaUid, 0});
  set_urls(m, s, g);
  s.ready_url = s.api_url + "/api/health";
  return s;
}

ContainerSpec render_node_exporter(const Manifest& m) {
  const auto& n = m.node_exporter;
  ContainerSpec s{.component = kNodeExporter, .name = m.name + "-" + kNodeExporter, .image = n.image};
  s.create_body = base_body(m, kNodeExporter, n, n.image);
  json cmd = {"--web.listen-address=" + bind_address(m, n) + ":" + std::to_string(n.port), "--path.rootfs=/host"};
  append_args(cmd, n);
  s.create_body["Cmd"] = cmd;
  // Host metrics need the host's root and pid namespace; "/" is the same path
  // for stackd on the host or in a container, since the daemon resolves it.
  // No rslave propagation: it fails where / is not a shared mount.
  s.create_body["HostConfig"]["Binds"] = json::array({"/:/host:ro"});
  s.create_body["HostConfig"]["PidMode"] = "host";
  set_urls(m, s, n);
  return s;
}

ContainerSpec render_ollama_exporter(const Manifest& m, const RenderContext& ctx) {
  const auto& e = m.ollama.exporter;
  std::string image = !e.image.empty() ? e.image : ctx.exporter_image;
  ContainerSpec s{.component = kOllamaExporter, .name = m.name + "-" + kOllamaExporter, .image = image};
  s.create_body = base_body(m, kOllamaExporter, e, image);
  json cmd = {"ollama-exporter", "--upstream", m.ollama.url, "--listen",
              bind_address(m, e) + ":" + std::to_string(e.port)};
  append_args(cmd, e);
  s.create_body["Cmd"] = cmd;
  if (m.ollama.url.find("host.docker.internal") != std::string::npos) add_host_gateway(m, s.create_body);
  set_urls(m, s, e);
  return s;
}

// Alertmanager's config and secrets are live files: an edit is a validated
// hot reload (reconcilers/alertmanager), never a recreate. One instance per
// host: no cluster gossip port.
ContainerSpec render_alertmanager(const Manifest& m) {
  const auto& a = m.alertmanager;
  ContainerSpec s{.component = kAlertmanager, .name = m.name + "-" + kAlertmanager, .image = a.image};
  s.create_body = base_body(m, kAlertmanager, a, a.image);
  json cmd = {std::string("--config.file=") + alertmanager::kConfigFile,
              std::string("--storage.path=") + alertmanager::kDataDir,
              "--web.listen-address=" + bind_address(m, a) + ":" + std::to_string(a.port), "--cluster.listen-address="};
  append_args(cmd, a);
  s.create_body["Cmd"] = cmd;
  add_volume(s.create_body, m.name + "-alertmanager-data", alertmanager::kDataDir);
  s.live_files = alertmanager::render_files(a);
  s.live_files_reconciler = alertmanager::kConfigReconcilerKey;
  s.loaded_marker = live_config::loaded_marker(alertmanager::kConfigDir, s.live_files);
  set_urls(m, s, a);
  return s;
}

}  // namespace

void seal_spec(ContainerSpec& spec) {
  json body = spec.create_body;
  body["Labels"].erase(kSpecHash);
  body["Labels"].erase(kSpecParts);
  // nlohmann::json keeps object keys sorted: dump() is canonical.
  std::map<std::string, std::string> parts;
  auto digest = [](const json& j) { return sha256_hex(j.dump()).substr(0, 12); };
  parts["image"] = digest(body.value("Image", json()));
  parts["command"] = digest(json{body.value("Cmd", json()), body.value("Entrypoint", json())});
  parts["env"] = digest(body.value("Env", json()));
  parts["labels"] = digest(body.value("Labels", json()));
  parts["network"] = digest(json{body["HostConfig"].value("NetworkMode", json()), body.value("NetworkingConfig", json()),
                                 body.value("ExposedPorts", json()), body["HostConfig"].value("PortBindings", json()),
                                 body["HostConfig"].value("ExtraHosts", json())});
  parts["mounts"] = digest(json{body["HostConfig"].value("Mounts", json()), body["HostConfig"].value("Binds", json())});
  parts["resources"] = digest(json{body["HostConfig"].value("Memory", json()), body["HostConfig"].value("NanoCpus", json())});
  parts["restart"] = digest(body["HostConfig"].value("RestartPolicy", json()));
  parts["healthcheck"] = digest(body.value("Healthcheck", json()));
  Sha256 h;
  h.update(body.dump());
  for (const auto& f : spec.files) {
    auto d = sha256_hex(f.content);
    parts["file:/" + f.path] = d.substr(0, 12);
    h.update("\nfile ").update(f.path).update(" ").update(std::to_string(f.mode)).update(" ");
    h.update(std::to_string(f.uid) + ":" + std::to_string(f.gid)).update(" ").update(d);
  }
  std::string parts_label;
  for (const auto& [k, v] : parts) parts_label += (parts_label.empty() ? "" : ",") + k + "=" + v;
  spec.spec_hash = h.hex();
  spec.spec_parts = parts;
  spec.create_body["Labels"][kSpecHash] = spec.spec_hash;
  spec.create_body["Labels"][kSpecParts] = parts_label;
}

DesiredState render_desired_state(const Manifest& m, const RenderContext& ctx) {
  DesiredState d;
  d.stack = m.name;
  d.revision = m.revision;
  if (!m.host_network()) d.network = m.network;
  if (m.prometheus.enabled) {
    d.containers.push_back(render_prometheus(m));
    d.volumes.push_back({m.name + "-prometheus-data", kPrometheus});
  }
  if (m.grafana.enabled) {
    d.containers.push_back(render_grafana(m, ctx));
    d.volumes.push_back({m.name + "-grafana-data", kGrafana});
  }
  if (m.node_exporter.enabled) d.containers.push_back(render_node_exporter(m));
  if (m.ollama.exporter.enabled) d.containers.push_back(render_ollama_exporter(m, ctx));
  if (m.alertmanager.enabled) {
    d.containers.push_back(render_alertmanager(m));
    d.volumes.push_back({m.name + "-alertmanager-data", kAlertmanager});
  }
  // User-declared named volumes are owned too (created with labels, kept by `down`).
  auto add_user_volumes = [&](const Component& c, const std::string& component) {
    if (!c.enabled) return;
    for (const auto& v : c.volumes)
      if (std::none_of(d.volumes.begin(), d.volumes.end(), [&](const VolumeSpec& x) { return x.name == v.name; }))
        d.volumes.push_back({v.name, component});
  };
  add_user_volumes(m.prometheus, kPrometheus);
  add_user_volumes(m.grafana, kGrafana);
  add_user_volumes(m.node_exporter, kNodeExporter);
  add_user_volumes(m.ollama.exporter, kOllamaExporter);
  add_user_volumes(m.alertmanager, kAlertmanager);
  for (auto& c : d.containers) seal_spec(c);
  return d;
}

}  // namespace stackd::containers

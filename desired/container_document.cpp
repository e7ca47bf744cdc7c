#include "desired/container_document.hpp"

#include "api/v1alpha1/labels.hpp"

namespace stackd::desired {

using nlohmann::json;
using manifest::Component;
using manifest::Manifest;

namespace {

std::string port_key(std::uint16_t port) { return std::to_string(port) + "/tcp"; }

std::string bracketed(const std::string& address) {
  return address.find(':') != std::string::npos && address.front() != '[' ? "[" + address + "]" : address;
}

json base_body(const Manifest& m, ComponentKind kind, const Component& c, const std::string& image) {
  json labels = json::object();
  for (const auto& [k, v] : c.labels) labels[k] = v;
  for (const auto& [k, v] : labels::owner_labels(m.name)) labels[k] = v;
  labels[labels::kComponent] = std::string(manifest::to_string(kind));

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
    const std::string alias(manifest::to_string(kind));
    body["HostConfig"]["NetworkMode"] = m.network;
    body["NetworkingConfig"] = {{"EndpointsConfig", {{m.network, {{"Aliases", json::array({alias})}}}}}};
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

}  // namespace

ContainerSpec container_spec(const Manifest& m, ComponentKind kind, const std::string& image) {
  ContainerSpec s;
  s.component = kind;
  s.name = manifest::container_name(m.name, kind);
  s.image = image;
  s.create_body = base_body(m, kind, manifest::component_of(m, kind), image);
  return s;
}

std::string bind_address(const Manifest& m, const Component& c) {
  if (!m.host_network()) return "0.0.0.0";
  return bracketed(c.listen);
}

std::string listen_address(const Manifest& m, const Component& c) {
  return bind_address(m, c) + ":" + std::to_string(c.port);
}

std::string host_address(const std::string& listen) {
  if (listen == "0.0.0.0" || listen == "::") return "127.0.0.1";
  return bracketed(listen);
}

std::string scrape_address(const Manifest& m, ComponentKind kind) {
  const auto& c = manifest::component_of(m, kind);
  if (m.host_network()) return host_address(c.listen) + ":" + std::to_string(c.port);
  return manifest::container_name(m.name, kind) + ":" + std::to_string(c.port);
}

void set_urls(const Manifest& m, ContainerSpec& s, const Component& c) {
  s.api_url = "http://" + host_address(c.listen) + ":" + std::to_string(c.port);
  s.peer_url = m.host_network() ? s.api_url : "http://" + s.name + ":" + std::to_string(c.port);
}

void mount_data_volume(const Manifest& m, ContainerSpec& s) {
  const auto& schema = manifest::schema_of(s.component);
  const auto& data_path = manifest::component_of(m, s.component).data_path;
  if (!data_path.empty()) {
    s.create_body["HostConfig"]["Mounts"].push_back(
        {{"Type", "bind"}, {"Source", data_path}, {"Target", std::string(schema.data_dir)}, {"ReadOnly", false}});
    return;
  }
  s.create_body["HostConfig"]["Mounts"].push_back({{"Type", "volume"},
                                                   {"Source", manifest::data_volume_name(m.name, s.component)},
                                                   {"Target", std::string(schema.data_dir)},
                                                   {"ReadOnly", false}});
}

void append_args(json& cmd, const Component& c) {
  for (const auto& a : c.args) cmd.push_back(a);
}

void add_host_gateway(const Manifest& m, json& body) {
  body["HostConfig"]["ExtraHosts"] =
      json::array({m.host_network() ? "host.docker.internal:127.0.0.1" : "host.docker.internal:host-gateway"});
}

}  // namespace stackd::desired

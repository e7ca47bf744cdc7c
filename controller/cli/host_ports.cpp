#include "controller/cli/host_ports.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "api/v1alpha1/component_kind.hpp"

namespace stackd::cli {

std::vector<HostPort> host_ports(const manifest::Manifest& m) {
  std::vector<HostPort> out;
  for (const auto& schema : manifest::component_schemas()) {
    const auto& c = manifest::component_of(m, schema.kind);
    // A Grafana named by spec.grafana.url runs elsewhere.
    if (schema.kind == manifest::ComponentKind::Grafana && !m.grafana.url.empty()) continue;
    if (c.enabled && c.port)
      out.push_back({std::string(schema.section) + ".port", std::string(schema.name), c.listen, c.port});
  }
  out.push_back({"spec.stackd.port", "stackd", m.controller.listen, m.controller.port});
  return out;
}

PortState probe_port(const std::string& listen, std::uint16_t port) {
  sockaddr_storage addr{};
  socklen_t len = 0;
  int family = AF_INET;
  if (auto* v4 = reinterpret_cast<sockaddr_in*>(&addr); ::inet_pton(AF_INET, listen.c_str(), &v4->sin_addr) == 1) {
    v4->sin_family = AF_INET;
    v4->sin_port = htons(port);
    len = sizeof(sockaddr_in);
  } else if (auto* v6 = reinterpret_cast<sockaddr_in6*>(&addr); ::inet_pton(AF_INET6, listen.c_str(), &v6->sin6_addr) == 1) {
    v6->sin6_family = AF_INET6;
    v6->sin6_port = htons(port);
    len = sizeof(sockaddr_in6);
    family = AF_INET6;
  } else {
    return PortState::CannotTell;
  }
  int fd = ::socket(family, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return PortState::CannotTell;
  int one = 1;
  // A socket of an earlier process in TIME_WAIT is not a holder.
  ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  int rc = ::bind(fd, reinterpret_cast<sockaddr*>(&addr), len);
  int err = errno;
  ::close(fd);
  if (rc == 0) return PortState::Free;
  return err == EADDRINUSE ? PortState::Taken : PortState::CannotTell;
}

bool container_holds_port(const nlohmann::json& inspect, std::uint16_t port) {
  const std::string number = std::to_string(port);
  auto ends_with_port = [&](const nlohmann::json& list) {
    if (!list.is_array()) return false;
    for (const auto& a : list)
      if (a.is_string() && a.get<std::string>().ends_with(":" + number)) return true;
    return false;
  };
  if (!inspect.is_object()) return false;
  const auto host_config = inspect.value("HostConfig", nlohmann::json::object());
  if (const auto bindings = host_config.value("PortBindings", nlohmann::json()); bindings.is_object())
    for (const auto& [key, list] : bindings.items())
      if (list.is_array())
        for (const auto& b : list)
          if (b.is_object() && b.value("HostPort", "") == number) return true;
  if (ends_with_port(inspect.value("Args", nlohmann::json()))) return true;
  const auto config = inspect.value("Config", nlohmann::json::object());
  if (ends_with_port(config.value("Cmd", nlohmann::json()))) return true;
  if (const auto env = config.value("Env", nlohmann::json()); env.is_array())
    for (const auto& e : env)
      if (e.is_string() && e.get<std::string>() == "GF_SERVER_HTTP_PORT=" + number) return true;
  return false;
}

std::vector<std::string> port_warnings(const std::vector<HostPort>& ports, const std::vector<PortState>& states,
                                       const std::vector<bool>& ours, bool engine_answered) {
  std::vector<std::string> out;
  for (std::size_t i = 0; i < ports.size() && i < states.size(); ++i) {
    const auto& p = ports[i];
    if (states[i] != PortState::Taken || (i < ours.size() && ours[i])) continue;
    std::string who = p.component == "stackd" ? "the stackd daemon's endpoints" : p.component;
    std::string text = p.field + ": " + p.listen + ":" + std::to_string(p.port) +
                       " is already in use by another process; " + who + " could not listen there";
    if (!engine_answered) text += " (unless it is this stack's own " + p.component + ": the engine could not be asked)";
    out.push_back(text);
  }
  return out;
}

}  // namespace stackd::cli

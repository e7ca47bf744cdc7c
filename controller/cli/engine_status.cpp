#include "controller/cli/engine_status.hpp"

#include <algorithm>
#include <cstdio>
#include <map>

#include "api/v1alpha1/labels.hpp"
#include "controller/cli/grafana_password_hint.hpp"

namespace stackd::cli {

namespace {

std::string label(const docker::Labels& l, const char* key) {
  auto it = l.find(key);
  return it == l.end() ? "" : it->second;
}

std::string daemon_line(const EngineStack& s) {
  if (!s.daemon) return "not running (none recorded)";
  switch (s.daemon_probe.liveness) {
    case ownership::Liveness::Alive:
      return "running " + ownership::describe(*s.daemon) + ", but not answering where asked";
    case ownership::Liveness::Gone:
      return "not running (was " + ownership::describe(*s.daemon) + "; " + s.daemon_probe.detail + ")";
    case ownership::Liveness::Unknown:
      return "unknown: recorded " + ownership::describe(*s.daemon) + " (" + s.daemon_probe.detail + ")";
  }
  return "";
}

// The stack's Grafana container (the running one where a recreate keeps a
// stopped predecessor), or nullptr.
const EngineComponent* grafana_of(const EngineStack& s) {
  const EngineComponent* found = nullptr;
  for (const auto& c : s.components)
    if (c.component == "grafana" && (!found || (found->state != "running" && c.state == "running"))) found = &c;
  return found;
}

}  // namespace

std::vector<EngineStack> engine_stacks(const std::vector<docker::ContainerInfo>& containers, const std::string& stack) {
  std::map<std::string, EngineStack> by_stack;
  if (!stack.empty()) by_stack[stack].stack = stack;
  for (const auto& c : containers) {
    const auto s = label(c.labels, labels::kStack);
    const auto component = label(c.labels, labels::kComponent);
    if (!labels::owned_by(c.labels, s, component) || (!stack.empty() && s != stack)) continue;
    auto& entry = by_stack[s];
    entry.stack = s;
    entry.components.push_back({s, component, c.name, c.id, c.state.status, c.state.health,
                                label(c.labels, labels::kSpecHash), c.image_ref, c.restart_count});
  }
  std::vector<EngineStack> out;
  for (auto& [name, s] : by_stack) {
    std::sort(s.components.begin(), s.components.end(),
              [](const auto& a, const auto& b) { return a.component < b.component; });
    out.push_back(std::move(s));
  }
  return out;
}

std::string format_engine_status(const std::string& no_daemon, const std::vector<EngineStack>& stacks) {
  std::string out = no_daemon + "\nFrom the Docker engine:\n";
  if (stacks.empty()) out += "\nno stack of stackd runs on this engine\n";
  for (const auto& s : stacks) {
    out += "\nStack:     " + s.stack + "\nDaemon:    " + daemon_line(s) + "\n";
    if (s.components.empty()) {
      out += "(no containers)\n";
      continue;
    }
    out += "\nCOMPONENT        CONTAINER     STATE       HEALTH     SPEC HASH     IMAGE\n";
    for (const auto& c : s.components) {
      std::string state = c.state + (c.restart_count > 0 ? " (" + std::to_string(c.restart_count) + " restarts)" : "");
      char line[256];
      std::snprintf(line, sizeof line, "%-16s %-13s %-11s %-10s %-13s ", c.component.c_str(), c.id.substr(0, 12).c_str(),
                    state.c_str(), c.health.empty() ? "-" : c.health.c_str(),
                    c.spec_hash.empty() ? "-" : c.spec_hash.substr(0, 12).c_str());
      out += line + c.image + "\n";
    }
    if (const auto* g = grafana_of(s)) out += "\n" + grafana_password_line(g->container);
  }
  return out;
}

nlohmann::json engine_status_json(const std::string& no_daemon, const std::vector<EngineStack>& stacks) {
  nlohmann::json j = {{"daemon", {{"running", false}, {"reason", no_daemon}}}, {"stacks", nlohmann::json::array()}};
  for (const auto& s : stacks) {
    nlohmann::json stack = {{"stack", s.stack}, {"daemon", nullptr}, {"components", nlohmann::json::array()}};
    if (s.daemon)
      stack["daemon"] = {{"recorded", ownership::describe(*s.daemon)},
                         {"running", s.daemon_probe.liveness == ownership::Liveness::Alive},
                         {"detail", s.daemon_probe.detail}};
    for (const auto& c : s.components)
      stack["components"].push_back({{"name", c.component},
                                     {"container", c.container},
                                     {"containerId", c.id},
                                     {"state", c.state},
                                     {"health", c.health},
                                     {"restartCount", c.restart_count},
                                     {"specHash", c.spec_hash},
                                     {"image", c.image}});
    if (const auto* g = grafana_of(s)) stack["grafanaAdminPassword"] = {{"command", grafana_password_command(g->container)}};
    j["stacks"].push_back(std::move(stack));
  }
  return j;
}

}  // namespace stackd::cli

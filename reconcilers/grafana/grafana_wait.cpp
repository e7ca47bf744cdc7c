#include "reconcilers/grafana/grafana_wait.hpp"

namespace stackd::grafana {

namespace {

std::string seconds_text(std::chrono::seconds s) {
  if (s.count() % 60 == 0 && s.count() > 0) return std::to_string(s.count() / 60) + "m";
  return std::to_string(s.count()) + "s";
}

template <typename T, typename Name>
std::string listed(const std::string& what, const std::vector<T>& items, Name name) {
  if (items.empty()) return "";
  std::string out = std::to_string(items.size()) + " " + what + " (";
  constexpr std::size_t kShown = 3;
  for (std::size_t i = 0; i < items.size() && i < kShown; ++i) out += (i ? ", " : "") + name(items[i]);
  if (items.size() > kShown) out += ", +" + std::to_string(items.size() - kShown) + " more";
  return out + ")";
}

}  // namespace

std::optional<std::string> grafana_container_stopped(bool container_known,
                                                     const std::optional<docker::ContainerInfo>& container) {
  if (!container_known) return std::nullopt;
  if (!container) return std::string("no longer exists");
  const auto& st = container->state;
  if (st.status == "exited" || st.status == "dead") return "exited with code " + std::to_string(st.exit_code);
  if (st.status == "restarting") return "is restarting (exited with code " + std::to_string(st.exit_code) + ")";
  return std::nullopt;
}

std::optional<std::string> grafana_wait_over(runtime::Duration waited, std::chrono::seconds timeout,
                                             const std::optional<std::string>& container_stopped) {
  if (container_stopped) return "its container " + *container_stopped;
  if (waited >= timeout) return "it did not answer within " + seconds_text(timeout) + " (--timeout)";
  return std::nullopt;
}

std::string still_to_push(const Desired& desired) {
  std::string out = listed("datasources", desired.datasources, [](const DatasourceSpec& d) { return d.name; });
  const auto dashboards = listed("dashboards", desired.dashboards, [](const DashboardSpec& d) { return d.title; });
  if (!dashboards.empty()) out += (out.empty() ? "" : " and ") + dashboards;
  if (desired.manage_password) out += (out.empty() ? "" : ", ") + std::string("the admin password");
  return out.empty() ? "nothing" : out;
}

std::string grafana_not_ready_message(const Desired& desired, const std::string& why, const std::string& last_error) {
  return "Grafana at " + desired.base_url + " is not ready: " + why + " (last: " + last_error +
         "); still to push: " + still_to_push(desired);
}

}  // namespace stackd::grafana

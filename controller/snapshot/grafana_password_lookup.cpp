#include "controller/snapshot/grafana_password_lookup.hpp"

#include "api/v1alpha1/component_kind.hpp"
#include "api/v1alpha1/labels.hpp"
#include "desired/grafana/grafana_state.hpp"
#include "desired/render.hpp"

namespace stackd::snapshot {

bool needs_running_grafana_password(const manifest::Manifest& m) {
  return m.grafana.enabled && m.grafana.url.empty() && !m.grafana.admin_password_file &&
         m.grafana.admin_password_env.empty();
}

GrafanaPasswordLookup::GrafanaPasswordLookup(docker::Api* docker)
    : docker_(docker), file_(grafana::kAdminPasswordFile) {}

boost::asio::awaitable<std::optional<std::string>> GrafanaPasswordLookup::resolve(const manifest::Manifest& m,
                                                                                 const std::string& origin) {
  if (!docker_ || !needs_running_grafana_password(m)) co_return std::nullopt;
  const auto name = manifest::container_name(m.name, manifest::ComponentKind::Grafana);
  auto info = co_await docker_->inspect_container(name);
  if (!info || !labels::owned_by(info->labels, m.name, "grafana")) {
    info.reset();
    if (origin.empty()) co_return std::nullopt;
    const docker::Labels renamed{{labels::kManagedBy, labels::kManagedByValue},
                                 {labels::kOrigin, desired::origin_label(origin)},
                                 {labels::kComponent, "grafana"}};
    const auto found = co_await docker_->list_containers(renamed, true);
    for (const auto& c : found)
      if (auto stack = c.labels.find(labels::kStack);
          stack != c.labels.end() && labels::owned_by(c.labels, stack->second, "grafana"))
        info = co_await docker_->inspect_container(c.id);
    if (!info) co_return std::nullopt;
  }
  auto content = co_await file_.read(*docker_, info->id);
  if (!content || content->empty()) co_return std::nullopt;
  co_return content;
}

}  // namespace stackd::snapshot

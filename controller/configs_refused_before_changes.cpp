#include "controller/configs_refused_before_changes.hpp"

#include "api/v1alpha1/component_kind.hpp"
#include "api/v1alpha1/labels.hpp"
#include "reconcilers/containers/apply.hpp"
#include "reconcilers/live_config/create_check.hpp"

namespace stackd::controller {

bool made_by_apply(const desired::ContainerSpec& spec, const docker::ContainerInfo* existing) {
  if (!existing) return true;
  auto hash = existing->labels.find(labels::kSpecHash);
  return hash == existing->labels.end() || hash->second != spec.spec_hash;
}

boost::asio::awaitable<std::vector<std::pair<std::string, std::string>>> configs_refused_before_changes(
    docker::Api& docker, const desired::DesiredState& desired, std::function<void(const std::string&)> say) {
  std::vector<std::pair<std::string, std::string>> refused;
  for (const auto& spec : desired.containers) {
    if (live_config::sets_checked_before_create(desired, spec.component).empty()) continue;
    auto existing = co_await docker.inspect_container(spec.name);
    if (!made_by_apply(spec, existing ? &*existing : nullptr)) continue;
    containers::ApplyOptions pull;
    pull.progress = say;
    co_await containers::ensure_image(docker, spec.image, pull);
    if (auto why = co_await live_config::check_before_create(docker, desired, spec, say))
      refused.emplace_back("config/" + std::string(manifest::to_string(spec.component)), *why);
  }
  co_return refused;
}

}  // namespace stackd::controller

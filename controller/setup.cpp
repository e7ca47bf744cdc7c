#include "controller/setup.hpp"

#include "reconcilers/containers/container_reconciler.hpp"
#include "reconcilers/grafana/grafana_api_reconciler.hpp"
#include "reconcilers/infrastructure/infrastructure_reconciler.hpp"
#include "reconcilers/live_config/create_check.hpp"
#include "reconcilers/live_config/live_config_reconciler.hpp"

namespace stackd::controller {

void register_reconcilers(runtime::Manager& manager, boost::asio::any_io_executor executor, docker::Api& docker,
                          metrics::Registry& registry, ContainerSettings settings) {
  // The wait for a Grafana stackd starts is bounded like the containers' own.
  grafana::GrafanaSettings grafana;
  if (settings.wait_for_grafana) grafana.ready_timeout = settings.ready_timeout;
  // A raw config the user wrote is judged in its component's image before
  // a fresh container of it is made (apply and the daemon alike).
  if (!settings.check_before_create)
    settings.check_before_create = [&docker](const desired::DesiredState& desired, const desired::ContainerSpec& spec,
                                             std::function<void(const std::string&)> say) {
      return live_config::check_before_create(docker, desired, spec, std::move(say));
    };
  manager.add(std::make_unique<infrastructure::InfrastructureReconciler>(docker));
  manager.add(std::make_unique<containers::ContainerReconciler>(docker, registry, settings));
  manager.add(std::make_unique<live_config::LiveConfigReconciler>(docker, registry));
  manager.add(std::make_unique<grafana::GrafanaApiReconciler>(executor, registry, &docker, grafana));
}

void register_grafana_only(runtime::Manager& manager, boost::asio::any_io_executor executor,
                           metrics::Registry& registry) {
  manager.add(std::make_unique<grafana::GrafanaApiReconciler>(executor, registry));
}

}  // namespace stackd::controller

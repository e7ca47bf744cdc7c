#include "controller/setup.hpp"

#include "reconcilers/alertmanager/alertmanager_reconciler.hpp"
#include "reconcilers/containers/container_reconciler.hpp"
#include "reconcilers/grafana/grafana_api_reconciler.hpp"
#include "reconcilers/infrastructure/infrastructure_reconciler.hpp"
#include "reconcilers/prometheus/prometheus_config_reconciler.hpp"

namespace stackd::controller {

void register_reconcilers(runtime::Manager& manager, boost::asio::any_io_executor executor, docker::Api& docker,
                          metrics::Registry& registry, ContainerSettings settings) {
  auto rendered = std::make_shared<containers::DesiredStateCache>();
  manager.add(std::make_unique<infrastructure::InfrastructureReconciler>(docker, rendered));
  manager.add(std::make_unique<containers::ContainerReconciler>(docker, registry, rendered, settings));
  manager.add(std::make_unique<prometheus::ConfigReconciler>(docker, registry, rendered));
  manager.add(std::make_unique<grafana::GrafanaApiReconciler>(executor, registry, rendered));
  manager.add(std::make_unique<alertmanager::ConfigReconciler>(docker, registry));
}

void register_grafana_only(runtime::Manager& manager, boost::asio::any_io_executor executor,
                           metrics::Registry& registry) {
  manager.add(std::make_unique<grafana::GrafanaApiReconciler>(executor, registry,
                                                              std::make_shared<containers::DesiredStateCache>()));
}

}  // namespace stackd::controller

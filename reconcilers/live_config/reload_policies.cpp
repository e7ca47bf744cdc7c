// The components stackd hot-reloads and how each checks and confirms a
// reload: the checker that ships in its own image, and its reload gauges.
#include "desired/alertmanager/alertmanager_config.hpp"
#include "desired/prometheus/prometheus_config.hpp"
#include "reconcilers/live_config/live_config_reloader.hpp"

namespace stackd::live_config {

namespace {

const ReloadPolicy kPrometheus{
    .component = "Prometheus",
    .metric = "stackd_prometheus_reload_total",
    .live_dir = prometheus::kConfigDir,
    .staging_dir = "/etc/prometheus/stackd-staging",
    .checker = "promtool check config",
    .check_command =
        [](const std::string& staging) {
          return std::vector<std::string>{"/bin/promtool", "check", "config", staging + "/prometheus.yml"};
        },
    .successful_gauge = "prometheus_config_last_reload_successful",
    .timestamp_gauge = "prometheus_config_last_reload_success_timestamp_seconds",
};

const ReloadPolicy kAlertmanager{
    .component = "Alertmanager",
    .metric = "stackd_alertmanager_reload_total",
    .live_dir = alertmanager::kConfigDir,
    .staging_dir = alertmanager::kStagingDir,
    .checker = "amtool check-config",
    .check_command =
        [](const std::string& staging) {
          return std::vector<std::string>{"/bin/amtool", "check-config", staging + "/alertmanager.yml"};
        },
    .successful_gauge = "alertmanager_config_last_reload_successful",
    .timestamp_gauge = "alertmanager_config_last_reload_success_timestamp_seconds",
};

}  // namespace

const ReloadPolicy* policy_for(desired::LiveSet set) {
  switch (set) {
    case desired::LiveSet::PrometheusConfig: return &kPrometheus;
    case desired::LiveSet::AlertmanagerConfig: return &kAlertmanager;
    case desired::LiveSet::GrafanaAdminPassword: return nullptr;
  }
  return nullptr;
}

}  // namespace stackd::live_config

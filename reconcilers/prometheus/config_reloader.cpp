#include "reconcilers/prometheus/config_reloader.hpp"

#include "reconcilers/prometheus/prometheus_config.hpp"

namespace stackd::prometheus {

const live_config::ReloadPolicy& reload_policy() {
  static const live_config::ReloadPolicy policy{
      .component = "Prometheus",
      .live_dir = kConfigDir,
      .staging_dir = kStagingDir,
      .checker = "promtool check config",
      .check_command =
          [](const std::string& staging) {
            return std::vector<std::string>{"/bin/promtool", "check", "config", staging + "/prometheus.yml"};
          },
      .successful_gauge = "prometheus_config_last_reload_successful",
      .timestamp_gauge = "prometheus_config_last_reload_success_timestamp_seconds",
  };
  return policy;
}

net::awaitable<ReloadOutcome> reload_config(docker::Api& docker, const std::string& id, const http::Endpoint& endpoint,
                                            const std::vector<TarFile>& desired, ReloadOptions options,
                                            const std::vector<TarFile>* loaded) {
  co_return co_await live_config::reload_live_files(docker, id, endpoint, desired, reload_policy(), options, loaded);
}

}  // namespace stackd::prometheus

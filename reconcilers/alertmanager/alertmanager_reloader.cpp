#include "reconcilers/alertmanager/alertmanager_reloader.hpp"

#include "reconcilers/alertmanager/alertmanager_config.hpp"

namespace stackd::alertmanager {

const live_config::ReloadPolicy& reload_policy() {
  static const live_config::ReloadPolicy policy{
      .component = "Alertmanager",
      .live_dir = kConfigDir,
      .staging_dir = kStagingDir,
      .checker = "amtool check-config",
      .check_command =
          [](const std::string& staging) {
            return std::vector<std::string>{"/bin/amtool", "check-config", staging + "/alertmanager.yml"};
          },
      .successful_gauge = "alertmanager_config_last_reload_successful",
      .timestamp_gauge = "alertmanager_config_last_reload_success_timestamp_seconds",
  };
  return policy;
}

boost::asio::awaitable<live_config::ReloadOutcome> reload_config(docker::Api& docker, const std::string& id,
                                                                 const http::Endpoint& endpoint,
                                                                 const std::vector<TarFile>& desired,
                                                                 live_config::ReloadOptions options) {
  co_return co_await live_config::reload_live_files(docker, id, endpoint, desired, reload_policy(), options);
}

}  // namespace stackd::alertmanager

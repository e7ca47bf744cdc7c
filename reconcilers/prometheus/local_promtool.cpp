#include "reconcilers/prometheus/local_promtool.hpp"

#include "desired/prometheus/prometheus_config.hpp"
#include "reconcilers/live_config/local_checker.hpp"

namespace stackd::prometheus {

std::optional<std::string> find_promtool() { return live_config::find_on_path("promtool"); }

std::optional<std::string> check_with_local_promtool(const std::vector<TarFile>& files) {
  auto promtool = find_promtool();
  if (!promtool) {
    throw PromtoolMissing(
        "promtool not found on PATH: Prometheus rules and config were NOT checked with promtool "
        "(install it, e.g. Debian package 'prometheus', or run stackd validate where promtool is available)");
  }
  auto run = live_config::run_local_checker(files, {*promtool, "check", "config", "{}" + std::string(kConfigFile)});
  if (run.exit_code == 0) return std::nullopt;
  if (run.output.empty()) run.output = "promtool check config exited with " + std::to_string(run.exit_code) + "\n";
  return run.output;
}

}  // namespace stackd::prometheus

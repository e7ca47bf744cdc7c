// stackd validate -f FILE: schema, references, promtool on the rendered
// Prometheus files, amtool (or, without one, structural checks) on a raw
// Alertmanager config, and a warning for each host port another process
// holds. Asks a Docker engine only whether the Ollama exporter's default
// image is there, and who holds a taken port (this stack?), when one answers.
#include <iostream>

#include "api/v1alpha1/labels.hpp"
#include "clients/docker/docker_client.hpp"
#include "controller/cli/command_support.hpp"
#include "controller/cli/host_ports.hpp"
#include "controller/cli/manifest_input.hpp"
#include "controller/cli/verbs.hpp"
#include "controller/snapshot/own_image_lookup.hpp"
#include "desired/alertmanager/alertmanager_config.hpp"
#include "desired/alertmanager/config_structure.hpp"
#include "reconcilers/live_config/checker_output.hpp"
#include "reconcilers/live_config/local_checker.hpp"
#include "reconcilers/prometheus/checked_files.hpp"
#include "desired/render.hpp"
#include "reconcilers/prometheus/local_promtool.hpp"
#include "reconcilers/ownership/daemon_ownership.hpp"

namespace stackd::cli {

namespace net = boost::asio;

namespace {

// A raw Alertmanager config (spec.alertmanager.configFile) as the
// Alertmanager that loads it would judge it: the local amtool where
// installed, its verdict told in the user's file; else Alertmanager's rules
// checked structurally. Prints the problems; false when there are any.
bool raw_alertmanager_config_ok(const manifest::Manifest& m, const desired::DesiredState& d,
                                const ManifestInput& input, bool verbose) {
  const auto* set = d.live_set(desired::LiveSet::AlertmanagerConfig);
  if (!m.alertmanager.enabled || !m.alertmanager.config_file || !set) return true;
  const auto& file = *m.alertmanager.config_file;
  const auto name = input.name();
  try {
    auto output = live_config::check_with_local_checker(*live_config::policy_for(set->kind), set->files);
    if (!output) return true;
    std::cerr << input.shown(live_config::checker_summary(
                     *output, {live_config::CheckedFile{alertmanager::kConfigFile, file.relative, file.content, {}}},
                     name))
              << "\n";
    if (verbose) std::cerr << "amtool check-config said:\n" << *output;
    std::cerr << "manifest " << name << " is invalid: amtool rejects the Alertmanager configuration; nothing was changed"
              << (verbose ? "" : " (-v shows amtool's output)") << "\n";
    return false;
  } catch (const live_config::CheckerMissing& e) {
    std::cerr << "warning: " << e.what() << ": " << file.relative
              << " was checked structurally only (install amtool: Debian package prometheus-alertmanager)\n";
  }
  auto problems = alertmanager::check_config_structure(file.content, file.relative);
  if (problems.empty()) return true;
  std::cerr << input.shown(problems.to_string());
  std::cerr << "manifest " << name << " is invalid: the Alertmanager configuration would not load; nothing was changed\n";
  return false;
}

// Which taken ports this stack holds itself: its running containers (by
// what they listen on) and its daemon (by its record).
net::awaitable<std::vector<bool>> held_by_stack(std::string stack, std::vector<HostPort> ports,
                                                std::vector<PortState> states) {
  std::vector<bool> ours(ports.size(), false);
  docker::Client docker(co_await net::this_coro::executor, docker::Client::endpoint_from_env());
  std::vector<nlohmann::json> running;
  for (const auto& c : co_await docker.list_containers(labels::owner_labels(stack), false))
    if (auto info = co_await docker.inspect_container(c.id)) running.push_back(info->raw);
  auto record = co_await ownership::read_record(docker, stack);
  bool daemon_runs = false;
  if (record)
    daemon_runs = (co_await ownership::probe(docker, *record, ownership::observe_this_process())).liveness ==
                  ownership::Liveness::Alive;
  for (std::size_t i = 0; i < ports.size(); ++i) {
    if (states[i] != PortState::Taken) continue;
    if (ports[i].component == "stackd")
      ours[i] = daemon_runs && record->listen.ends_with(":" + std::to_string(ports[i].port));
    else
      for (const auto& r : running) ours[i] = ours[i] || container_holds_port(r, ports[i].port);
  }
  co_return ours;
}

void warn_about_taken_ports(const manifest::Manifest& m, const ManifestInput& input) {
  auto ports = host_ports(m);
  std::vector<PortState> states;
  bool any_taken = false;
  for (const auto& p : ports) {
    states.push_back(probe_port(p.listen, p.port));
    any_taken = any_taken || states.back() == PortState::Taken;
  }
  if (!any_taken) return;
  std::vector<bool> ours;
  bool engine_answered = true;
  try {
    ours = run_coroutine_value<std::vector<bool>>([&] { return held_by_stack(m.name, ports, states); });
  } catch (const std::exception&) {
    engine_answered = false;
  }
  for (const auto& w : port_warnings(ports, states, ours, engine_answered))
    std::cerr << "warning: " << input.name() << ": " << w << "\n";
}

}  // namespace

void add_validate(CLI::App& app, Action& action) {
  auto* cmd = app.add_subcommand("validate", "check a manifest and every file it references");
  // With --git-*: the commit the daemon would apply (docs/gitops.md).
  auto input = std::make_shared<ManifestInput>();
  input->add_options(*cmd);
  auto verbose = std::make_shared<bool>(false);
  cmd->add_flag("-v,--verbose", *verbose,
                "also print promtool's or amtool's own output when it rejects the configuration");
  cmd->footer(environment_help());
  cmd->callback([&action, input, verbose] {
    action = [input, verbose] {
      if (auto rc = input->open("validate")) return *rc;
      auto m = input->load();
      if (!m) return int(kUsage);
      // Rendering checks what the schema cannot (extra scrape configs against
      // generated jobs); promtool checks rules and config as Prometheus would.
      try {
        auto d = desired::render(*m, desired::ResolvedValues{"validate-placeholder", "stackd:validate", ""});
        if (const auto* config = d.live_set(desired::LiveSet::PrometheusConfig)) {
          try {
            if (auto output = prometheus::check_with_local_promtool(config->files)) {
              // The user's files and places first; promtool's own words
              // (naming the files as the container has them) with -v.
              const auto name = input->name();
              std::cerr << input->shown(live_config::checker_summary(
                               *output, prometheus::checked_files(*m, config->files, name), name))
                        << "\n";
              if (*verbose) std::cerr << "promtool check config said:\n" << *output;
              std::cerr << "manifest " << name << " is invalid: promtool rejects the Prometheus configuration; "
                        << "nothing was changed" << (*verbose ? "" : " (-v shows promtool's output)") << "\n";
              return int(kUsage);
            }
          } catch (const prometheus::PromtoolMissing& e) {
            // Still checked inside the Prometheus container before every reload.
            std::cerr << "warning: " << e.what() << "; rules and config were not checked with promtool\n";
          }
        }
        if (!raw_alertmanager_config_ok(*m, d, *input, *verbose)) return int(kUsage);
      } catch (const std::invalid_argument& e) {
        std::cerr << input->name() << ": " << input->shown(e.what()) << "\n";
        return int(kUsage);
      }
      // The one question for the engine, when one answers: is the exporter's image there?
      if (snapshot::needs_own_image(*m)) {
        run_coroutine([m]() -> net::awaitable<int> {
          docker::Client docker(co_await net::this_coro::executor, docker::Client::endpoint_from_env());
          try {
            if (auto w = co_await snapshot::exporter_image_warning(docker, *m)) std::cerr << "warning: " << *w << "\n";
          } catch (const std::exception&) {
            // No engine here: validate needs none.
          }
          co_return kOk;
        });
      }
      warn_about_taken_ports(*m, *input);
      std::cout << input->name() << ": valid (revision " << m->revision.substr(0, 12) << ", " << m->enabled_components()
                << " components, " << m->referenced_files().size() << " referenced files)\n";
      return int(kOk);
    };
  });
}

}  // namespace stackd::cli

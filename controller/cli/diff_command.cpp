// stackd diff -f FILE (or --git-*): what apply would do, and why, from the
// same plan apply and the daemon execute (runtime::Manager::plan). Changes
// nothing anywhere: no object, no Grafana write, no password generated, no
// state directory needed.
//
// Exit codes: 0 the world matches the manifest, 3 changes are pending, 1 it
// could not find out (engine or Grafana unreachable), 2 invalid manifest or
// usage.
#include <spdlog/spdlog.h>

#include <algorithm>
#include <iostream>

#include "clients/docker/docker_client.hpp"
#include "controller/cli/command_support.hpp"
#include "controller/cli/manifest_input.hpp"
#include "controller/cli/plan_output.hpp"
#include "controller/cli/verbs.hpp"
#include "controller/setup.hpp"
#include "controller/snapshot/file_snapshot_loader.hpp"
#include "controller/snapshot/own_image_lookup.hpp"
#include "runtime/manager.hpp"
#include "reconcilers/ownership/daemon_ownership.hpp"

namespace stackd::cli {

namespace net = boost::asio;

void add_diff(CLI::App& app, Action& action) {
  auto* cmd = app.add_subcommand(
      "diff", "show what apply would create, recreate, start, reload, update, move or delete, and why; changes "
              "nothing (exit 0: no changes, 3: changes pending, 1: could not find out, 2: invalid manifest)");
  struct Opts {
    ManifestInput input;  // -f FILE or --git-*: the commit the daemon would apply
    std::string output = "text", state_dir = default_state_dir();
    bool verbose = false;
  };
  auto o = std::make_shared<Opts>();
  o->input.add_options(*cmd);
  cmd->add_option("-o,--output", o->output, "text or json")->check(CLI::IsMember({"text", "json"}));
  cmd->add_flag("-v,--verbose", o->verbose, "also show each changed dashboard's whole JSON diff");
  cmd->add_option("--state-dir", o->state_dir,
                  state_dir_help() + "; diff only reads it (a Grafana password stackd generated earlier)");
  cmd->footer(environment_help());
  cmd->callback([&action, o] {
    action = [o] {
      if (auto rc = o->input.open("diff")) return *rc;
      auto m = o->input.load();  // every problem printed as file:line:col
      if (!m) return int(kUsage);
      // What diff prints is the plan and, once each, what it could not find
      // out; the runtime's log lines would only say the same again.
      spdlog::set_level(std::max(spdlog::get_level(), spdlog::level::critical));
      return run_coroutine([o, loaded = std::move(*m)]() mutable -> net::awaitable<int> {
        auto ex = co_await net::this_coro::executor;
        runtime::SystemClock clock(ex);
        runtime::DefaultRandom random;
        metrics::Registry registry;
        docker::Client docker(ex, docker::Client::endpoint_from_env());
        if (!co_await engine_answers(docker)) co_return kFailed;
        if (auto w = co_await snapshot::exporter_image_warning(docker, loaded)) std::cerr << "warning: " << *w << "\n";
        snapshot::SnapshotOptions options;
        options.state_dir = o->state_dir;
        options.read_only = true;
        // As its daemon renders it while one manages the stack (its scrape target).
        auto owner = co_await ownership::check_writer(docker, ownership::Verb::Apply, loaded.name, true);
        options.daemon_serves_metrics = owner.daemon_serves();
        snapshot::FileSnapshotLoader loader(o->input.file, options, &docker);
        if (o->input.checkout)
          loader.describe_source_as({.source = "git",
                                     .revision = o->input.checkout->revision(),
                                     .display_url = o->input.checkout->display_url(),
                                     .origin = "git:" + o->input.checkout->display_url() + "#" + o->input.git.path});
        loader.start_from(std::move(loaded));
        runtime::ManagerOptions manager_options;
        manager_options.serve_http = false;
        runtime::Manager manager(ex, clock, random, registry, loader, manager_options);
        controller::register_reconcilers(manager, ex, docker, registry);
        auto plan = co_await manager.plan();
        const auto errors = manager.errors();
        if (!plan.snapshot) {
          for (const auto& e : errors) std::cerr << "error: " << o->input.shown(e) << "\n";
          co_return manager.desired_state_invalid() ? kUsage : kFailed;
        }
        const auto& revision = plan.snapshot->revision;
        const auto& gpu = plan.snapshot->desired.gpu;  // what spec.gpu found on this box, and why
        if (o->output == "json") {
          auto j = plan_json(plan.changes, revision, o->verbose);
          j["stack"] = plan.snapshot->desired.stack;
          if (gpu) j["gpu"] = {{"vendor", manifest::to_string(gpu->vendor)}, {"reason", gpu->why}};
          if (o->input.checkout) j["sourceRevision"] = o->input.checkout->revision();
          if (!errors.empty()) j["errors"] = errors;
          std::cout << j.dump(2) << "\n";
        } else {
          std::cout << "stack " << plan.snapshot->desired.stack << " (revision " << revision.substr(0, 12);
          if (o->input.checkout) std::cout << ", " << o->input.checkout->revision();
          std::cout << ")\n\n";
          if (gpu) std::cout << "GPUs: " << manifest::to_string(gpu->vendor) << " (" << gpu->why << ")\n\n";
          // "No changes" only when every part could be compared.
          if (!plan.changes.empty() || errors.empty()) std::cout << plan_text(plan.changes, o->verbose);
        }
        for (const auto& e : errors) std::cerr << "error: could not find out: " << e << "\n";
        if (!errors.empty()) co_return kFailed;
        co_return plan.changes.empty() ? kOk : kChangesPending;
      });
    };
  });
}

}  // namespace stackd::cli

// stackd apply -f FILE: converge once; exit 0 when every container runs (and
// is healthy where it has a healthcheck). The same reconcilers as the daemon,
// each key once, in registration order (runtime::Manager::run_once).
#include <boost/asio/this_coro.hpp>

#include <chrono>
#include <iostream>

#include "clients/docker/docker_client.hpp"
#include "controller/cli/command_support.hpp"
#include "controller/cli/verbs.hpp"
#include "controller/setup.hpp"
#include "controller/snapshot/file_snapshot_loader.hpp"
#include "runtime/manager.hpp"

namespace stackd::cli {

namespace net = boost::asio;

void add_apply(CLI::App& app, Action& action) {
  auto* cmd = app.add_subcommand("apply", "converge the stack once and exit");
  struct Opts {
    std::string file;
    snapshot::SnapshotOptions snapshot;
    controller::ContainerSettings containers;
    int timeout = 120;
  };
  auto o = std::make_shared<Opts>();
  o->snapshot.state_dir = default_state_dir();
  cmd->add_option("-f,--file", o->file, "manifest file")->required();
  cmd->add_option("--state-dir", o->snapshot.state_dir, "where stackd keeps its state");
  cmd->add_option("--timeout", o->timeout, "seconds to wait for each container to run (and be ready with --wait)")
      ->check(CLI::PositiveNumber);
  cmd->add_flag("--wait", o->containers.wait,
                "also wait until every container is ready (healthchecks, /-/ready, /api/health)");
  cmd->callback([&action, o] {
    action = [o] {
      auto m = load_manifest(o->file);  // every problem printed as file:line:col
      if (!m) return int(kUsage);
      const std::string name = m->name;
      return run_coroutine([o, name, loaded = std::move(*m)]() mutable -> net::awaitable<int> {
        auto started = std::chrono::steady_clock::now();
        auto ex = co_await net::this_coro::executor;
        runtime::SystemClock clock(ex);
        runtime::DefaultRandom random;
        metrics::Registry registry;
        docker::Client docker(ex, docker::Client::endpoint_from_env());
        snapshot::FileSnapshotLoader loader(o->file, o->snapshot, &docker);
        loader.start_from(std::move(loaded));
        runtime::ManagerOptions options;
        options.serve_http = false;
        runtime::Manager manager(ex, clock, random, registry, loader, options);
        auto settings = o->containers;
        settings.ready_timeout = std::chrono::seconds(o->timeout);
        // Plain apply returns once every container runs as the engine
        // reports it; --wait (and the daemon) also see it survive its start.
        if (!settings.wait) settings.start_grace = std::chrono::milliseconds(0);
        controller::register_reconcilers(manager, ex, docker, registry, settings);
        bool ok = co_await manager.run_once([](const std::string& line) { std::cout << line << std::endl; });
        auto errors = manager.errors();
        for (const auto& e : errors) std::cerr << "error: " << e << "\n";
        auto secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
        std::printf("%s %s in %.2fs\n", ok ? "converged" : "FAILED to converge", name.c_str(), secs);
        co_return ok ? kOk : (manager.desired_state_invalid() ? kUsage : kFailed);
      });
    };
  });
}

}  // namespace stackd::cli

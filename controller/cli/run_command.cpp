// stackd run -f FILE: the daemon (runtime/manager.hpp).
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <spdlog/spdlog.h>

#include <iostream>

#include "clients/docker/docker_client.hpp"
#include "controller/cli/command_support.hpp"
#include "controller/cli/verbs.hpp"
#include "runtime/clock.hpp"
#include "runtime/manager.hpp"

namespace stackd::cli {

namespace net = boost::asio;

void add_run(CLI::App& app, Action& action) {
  auto* cmd = app.add_subcommand("run", "watch the manifest and Docker, reconcile, repair drift, serve /metrics");
  struct Opts {
    manager::ManagerOptions manager;
    std::string listen;
    std::string resync = "5m";
  };
  auto o = std::make_shared<Opts>();
  o->manager.state_dir = default_state_dir();
  cmd->add_option("-f,--file", o->manager.manifest_path, "manifest file")->required();
  cmd->add_option("--state-dir", o->manager.state_dir, "where stackd keeps its state");
  cmd->add_option("--listen", o->listen,
                  "address:port for /healthz /readyz /status /metrics (default: spec.stackd, 127.0.0.1:9321)");
  cmd->add_option("--resync", o->resync, "full re-list period, jittered ±10% (e.g. 5m, 30s)");
  cmd->add_flag("--allow-empty", o->manager.allow_empty, "accept a manifest that enables no component");
  cmd->callback([&action, o] {
    action = [o] {
      auto period = manifest::parse_duration(o->resync);
      if (!period || period->count() <= 0) {
        std::cerr << "invalid --resync '" << o->resync << "' (e.g. 5m, 30s)\n";
        return int(kUsage);
      }
      o->manager.resync.period = *period;
      if (!o->listen.empty()) o->manager.listen = o->listen;
      net::io_context io;
      runtime::SystemClock clock(io.get_executor());
      runtime::DefaultRandom random;
      docker::Client docker(io.get_executor(), docker::Client::endpoint_from_env());
      manager::Manager m(io.get_executor(), docker, clock, random, o->manager);
      int rc = kFailed;
      net::co_spawn(io, m.run(), [&](std::exception_ptr e, int code) {
        rc = code;
        if (e) {
          try {
            std::rethrow_exception(e);
          } catch (const std::exception& ex) {
            spdlog::critical("stackd run: {}", ex.what());
            rc = kFailed;
          }
        }
        io.stop();  // the event stream and timers end with the loop
      });
      io.run();
      return rc;
    };
  });
}

}  // namespace stackd::cli

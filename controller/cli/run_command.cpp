// stackd run -f FILE: the daemon. The runtime (runtime/manager.hpp) with the
// reconcilers controller/setup registers and the daemon's sources.
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <spdlog/spdlog.h>

#include <iostream>

#include "clients/docker/docker_client.hpp"
#include "controller/cli/command_support.hpp"
#include "controller/cli/verbs.hpp"
#include "controller/setup.hpp"
#include "controller/snapshot/file_snapshot_loader.hpp"
#include "runtime/clock.hpp"
#include "runtime/manager.hpp"
#include "runtime/sources.hpp"

namespace stackd::cli {

namespace net = boost::asio;

void add_run(CLI::App& app, Action& action) {
  auto* cmd = app.add_subcommand("run", "watch the manifest and Docker, reconcile, repair drift, serve /metrics");
  struct Opts {
    std::string file;
    snapshot::SnapshotOptions snapshot;
    runtime::ManagerOptions manager;
    std::string resync = "5m";
  };
  auto o = std::make_shared<Opts>();
  o->snapshot.state_dir = default_state_dir();
  cmd->add_option("-f,--file", o->file, "manifest file")->required();
  cmd->add_option("--state-dir", o->snapshot.state_dir, "where stackd keeps its state");
  cmd->add_option("--listen", o->manager.listen,
                  "address:port for /healthz /readyz /status /metrics (default: spec.stackd, 127.0.0.1:9321)");
  cmd->add_option("--resync", o->resync, "full re-list period, jittered ±10% (e.g. 5m, 30s)");
  cmd->add_flag("--allow-empty", o->snapshot.allow_empty, "accept a manifest that enables no component");
  cmd->callback([&action, o] {
    action = [o] {
      auto period = manifest::parse_duration(o->resync);
      if (!period || period->count() <= 0) {
        std::cerr << "invalid --resync '" << o->resync << "' (e.g. 5m, 30s)\n";
        return int(kUsage);
      }
      o->manager.resync.period = *period;
      net::io_context io;
      runtime::SystemClock clock(io.get_executor());
      runtime::DefaultRandom random;
      metrics::Registry registry;
      docker::Client docker(io.get_executor(), docker::Client::endpoint_from_env());
      snapshot::FileSnapshotLoader loader(o->file, o->snapshot);
      runtime::Manager m(io.get_executor(), clock, random, registry, loader, o->manager);
      controller::register_reconcilers(m, io.get_executor(), docker, registry);
      m.add(std::make_unique<runtime::FileSource>(
          io.get_executor(), clock, [&loader](const manifest::Snapshot* s) { return loader.watched_paths(s); }));
      auto events = std::make_unique<runtime::DockerEventSource>(io.get_executor(), clock, random, docker);
      auto* ev = events.get();
      m.add_readiness(runtime::flag_check("docker", [ev] { return ev->connected(); },
                                          "the Docker engine is not reachable"));
      m.add(std::move(events));
      m.add(std::make_unique<runtime::ResyncSource>(clock, random, o->manager.resync));
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

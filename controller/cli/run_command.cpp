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
#include "sources/git/git_options.hpp"
#include "sources/git/git_snapshot_loader.hpp"
#include "sources/git/git_source.hpp"

namespace stackd::cli {

namespace net = boost::asio;

namespace {
// A commit's manifest becomes a snapshot like a file's; a bad one is
// SourceInvalid. Parameters by value: they live in the coroutine frame.
net::awaitable<manifest::SnapshotPtr> build_git_snapshot(std::filesystem::path path, manifest::SourceRevision source,
                                                         snapshot::SnapshotOptions options) {
  co_return snapshot::build_snapshot(path.string(), std::move(source), options, "SourceInvalid");
}
}  // namespace

void add_run(CLI::App& app, Action& action) {
  auto* cmd = app.add_subcommand("run", "watch the manifest and Docker, reconcile, repair drift, serve /metrics");
  struct Opts {
    std::string file;
    snapshot::SnapshotOptions snapshot;
    runtime::ManagerOptions manager;
    std::string resync = "5m";
    git::GitSettings git;
  };
  auto o = std::make_shared<Opts>();
  o->snapshot.state_dir = default_state_dir();
  cmd->add_option("-f,--file", o->file, "manifest file (or the --git-* options)");
  git::add_git_options(*cmd, o->git, /*daemon=*/true);
  git::add_daemon_config_file(*cmd);
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
      if (o->file.empty() == o->git.url.empty()) {
        std::cerr << "stackd run: give -f FILE or --git-url (with --git-path), not both\n";
        return int(kUsage);
      }
      std::optional<git::GitSourceSettings> git_settings;
      if (o->git.enabled()) {
        try {
          git_settings = git::resolve_git_settings(o->git, o->snapshot.state_dir);
        } catch (const std::exception& e) {
          std::cerr << "stackd run: " << e.what() << "\n";
          return int(kUsage);
        }
      }
      net::io_context io;
      runtime::SystemClock clock(io.get_executor());
      runtime::DefaultRandom random;
      metrics::Registry registry;
      docker::Client docker(io.get_executor(), docker::Client::endpoint_from_env());
      // The desired state comes from the manifest file or from a git commit
      // (sources/git, docs/gitops.md); the rest of the daemon is the same.
      std::unique_ptr<runtime::SnapshotLoader> loader;
      std::unique_ptr<git::GitTracker> git_tracker;
      if (git_settings) {
        // The runtime publishes stackd_source_revision_info from the pinned snapshot.
        git_tracker = std::make_unique<git::GitTracker>(git_settings->repository, clock, nullptr);
        auto options = o->snapshot;
        loader = std::make_unique<git::GitSnapshotLoader>(
            *git_tracker, git_settings->path,
            [options](const std::filesystem::path& path, const manifest::SourceRevision& source) {
              return build_git_snapshot(path, source, options);
            });
      } else {
        loader = std::make_unique<snapshot::FileSnapshotLoader>(o->file, o->snapshot);
      }
      runtime::Manager m(io.get_executor(), clock, random, registry, *loader, o->manager);
      controller::register_reconcilers(m, io.get_executor(), docker, registry);
      if (git_settings) {
        m.add(std::make_unique<git::GitSource>(io.get_executor(), clock, random, *git_tracker, git_settings->source));
      } else {
        auto* file_loader = loader.get();
        m.add(std::make_unique<runtime::FileSource>(
            io.get_executor(), clock, [file_loader](const manifest::Snapshot* s) { return file_loader->watched_paths(s); }));
      }
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

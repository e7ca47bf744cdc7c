// stackd run -f FILE: the daemon. The runtime (runtime/manager.hpp) with the
// reconcilers controller/setup registers and the daemon's sources.
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <spdlog/spdlog.h>

#include <iostream>

#include "api/v1alpha1/loader.hpp"
#include "clients/docker/docker_client.hpp"
#include "controller/cli/command_support.hpp"
#include "controller/cli/verbs.hpp"
#include "controller/runbooks/runbooks_page.hpp"
#include "controller/setup.hpp"
#include "controller/snapshot/file_snapshot_loader.hpp"
#include "reconcilers/ownership/ownership_reconciler.hpp"
#include "runtime/clock.hpp"
#include "runtime/manager.hpp"
#include "runtime/sources.hpp"
#include "runtime/status.hpp"
#include "sources/git/git_options.hpp"
#include "sources/git/git_snapshot_loader.hpp"
#include "sources/git/git_source.hpp"
#include "sources/git/git_webhook_route.hpp"

namespace stackd::cli {

namespace net = boost::asio;

namespace {
// What building a commit's snapshot needs across commits: the options, and
// the engine to ask once for the image stackd runs from (as the file loader does).
struct GitBuildState {
  snapshot::SnapshotOptions options;
  snapshot::OwnImageLookup own_image{nullptr};
  snapshot::EngineFactsLookup engine_facts{nullptr};
  snapshot::GrafanaPasswordLookup grafana_password{nullptr};
};

// A commit's manifest becomes a snapshot like a file's; a bad one is
// SourceInvalid. Parameters by value: they live in the coroutine frame.
net::awaitable<desired::SnapshotPtr> build_git_snapshot(std::filesystem::path path, desired::SourceRevision source,
                                                         std::shared_ptr<GitBuildState> state) {
  auto loaded = snapshot::load_for_snapshot(path.string(), state->options, "SourceInvalid");
  co_await state->own_image.resolve(loaded, state->options.own_image);
  co_await state->engine_facts.resolve(loaded, state->options.engine);
  state->options.running_grafana_password = co_await state->grafana_password.resolve(loaded, source.origin);
  co_return snapshot::build_snapshot(path.string(), std::move(loaded), std::move(source), state->options,
                                     "SourceInvalid");
}

// The daemon, then the release of its claim on the stack once it stops.
net::awaitable<int> run_daemon(runtime::Manager& manager, ownership::DaemonClaim* claim) {
  int rc = co_await manager.run();
  if (claim) {
    try {
      co_await claim->release();
    } catch (const std::exception& e) {
      spdlog::warn("could not remove this daemon's record of stack {}: {}", claim->stack(), e.what());
    }
  }
  co_return rc;
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
    bool grafana_only = false;
    bool force = false;
  };
  auto o = std::make_shared<Opts>();
  o->snapshot.state_dir = default_state_dir();
  cmd->add_option("-f,--file", o->file, "manifest file (or the --git-* options)");
  git::add_git_options(*cmd, o->git, /*daemon=*/true);
  git::add_daemon_config_file(*cmd);
  cmd->add_option("--state-dir", o->snapshot.state_dir, state_dir_help());
  cmd->footer(environment_help());
  cmd->add_option("--listen", o->manager.listen,
                  "address:port for /healthz /readyz /status /metrics (default: spec.stackd, 127.0.0.1:9321)");
  cmd->add_option("--resync", o->resync, "full re-list period, jittered ±10% (e.g. 5m, 30s)");
  add_allow_empty(*cmd, o->snapshot.allow_empty);
  cmd->add_flag("--force", o->force,
                "take the stack over from another stackd daemon that manages it (or whose end cannot be told)");
  cmd->add_flag("--grafana-only", o->grafana_only,
                "keep only the Grafana named by spec.grafana.url in sync (dashboards, folders); no Docker engine");
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
      if (o->grafana_only && !git_settings) {
        // Refuse at once a manifest that names no external Grafana: there is
        // nothing this mode could do with it.
        try {
          auto probe = manifest::load(o->file);
          if (probe.grafana.url.empty() || !probe.grafana.enabled) {
            std::cerr << o->file << ": --grafana-only needs spec.grafana.url (the Grafana to keep in sync)\n";
            return int(kUsage);
          }
        } catch (const std::exception& e) {
          std::cerr << e.what() << "\n";
          return int(kUsage);
        }
      }
      docker::Client docker(io.get_executor(), docker::Client::endpoint_from_env());
      // Prometheus scrapes stackd only where a daemon serves it: here.
      o->snapshot.daemon_serves_metrics = true;
      // One daemon per stack (docs/daemon.md): claimed before anything acts,
      // kept by the "ownership" reconciler, given up at the stop. The
      // Grafana-only mode has no engine and claims nothing.
      std::unique_ptr<ownership::DaemonClaim> claim;
      if (!o->grafana_only) {
        claim = std::make_unique<ownership::DaemonClaim>(docker, runtime::format_time(clock.system_now()), o->force);
        o->manager.admit = [c = claim.get(), listen = o->manager.listen](desired::SnapshotPtr s) {
          return ownership::claim_first(*c, listen, std::move(s));
        };
      }
      // The desired state comes from the manifest file or from a git commit
      // (sources/git, docs/gitops.md); the rest of the daemon is the same.
      std::unique_ptr<runtime::SnapshotLoader> loader;
      std::unique_ptr<git::GitTracker> git_tracker;
      if (git_settings) {
        // The runtime publishes stackd_source_revision_info from the pinned snapshot.
        git_tracker = std::make_unique<git::GitTracker>(git_settings->repository, clock, nullptr);
        auto state = std::make_shared<GitBuildState>(
            GitBuildState{o->snapshot, snapshot::OwnImageLookup(o->grafana_only ? nullptr : &docker),
                          snapshot::EngineFactsLookup(o->grafana_only ? nullptr : &docker),
                          snapshot::GrafanaPasswordLookup(o->grafana_only ? nullptr : &docker)});
        loader = std::make_unique<git::GitSnapshotLoader>(
            *git_tracker, git_settings->path,
            [state](const std::filesystem::path& path, const desired::SourceRevision& source) {
              return build_git_snapshot(path, source, state);
            });
      } else {
        loader = std::make_unique<snapshot::FileSnapshotLoader>(o->file, o->snapshot,
                                                                o->grafana_only ? nullptr : &docker);
      }
      runtime::Manager m(io.get_executor(), clock, random, registry, *loader, o->manager);
      // Where the shipped alerts' runbook_url points by default (spec.alerts.runbookUrl).
      m.add_route({boost::beast::http::verb::get, runbooks::kPath},
                  [](const runtime::HttpRequest&) { return runbooks::respond(); });
      if (o->grafana_only) controller::register_grafana_only(m, io.get_executor(), registry);
      else controller::register_reconcilers(m, io.get_executor(), docker, registry);
      if (claim) m.add(std::make_unique<ownership::OwnershipReconciler>(*claim, o->manager.listen));
      if (git_settings) {
        auto source = std::make_unique<git::GitSource>(io.get_executor(), clock, random, *git_tracker,
                                                       git_settings->source);
        if (git_settings->webhook_secret) {
          auto* hooked = source.get();
          auto secret = *git_settings->webhook_secret;
          m.add_route({boost::beast::http::verb::post, git::kWebhookPath},
                      [hooked, secret](const runtime::HttpRequest& request) {
                        return git::respond_git_webhook(request, secret, *hooked);
                      });
        }
        m.add(std::move(source));
      } else {
        auto* file_loader = loader.get();
        m.add(std::make_unique<runtime::FileSource>(
            io.get_executor(), clock, [file_loader](const desired::Snapshot* s) { return file_loader->watched_paths(s); }));
      }
      if (!o->grafana_only) {
        auto events = std::make_unique<runtime::DockerEventSource>(io.get_executor(), clock, random, docker, registry);
        auto* ev = events.get();
        m.add_readiness(runtime::flag_check("docker", [ev] { return ev->connected(); },
                                            "the Docker engine is not reachable"));
        m.add(std::move(events));
      }
      m.add(std::make_unique<runtime::ResyncSource>(clock, random, o->manager.resync));
      int rc = kFailed;
      net::co_spawn(io, run_daemon(m, claim.get()), [&](std::exception_ptr e, int code) {
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

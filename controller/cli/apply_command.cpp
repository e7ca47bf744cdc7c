// stackd apply -f FILE: converge once; exit 0 when every container runs
// (with --wait, also healthy where it has a healthcheck, and ready). The
// same reconcilers as the daemon, each key once, in registration order
// (runtime::Manager::run_once).
#include <boost/asio/this_coro.hpp>

#include <algorithm>
#include <chrono>
#include <optional>
#include <set>
#include <iostream>

#include "clients/docker/docker_client.hpp"
#include "controller/cli/command_support.hpp"
#include "controller/cli/plan_output.hpp"
#include "controller/cli/verbs.hpp"
#include "controller/configs_refused_before_changes.hpp"
#include "controller/setup.hpp"
#include "api/v1alpha1/units.hpp"
#include "controller/snapshot/file_snapshot_loader.hpp"
#include "reconcilers/containers/apply.hpp"
#include "reconcilers/ownership/daemon_ownership.hpp"
#include "runtime/manager.hpp"

namespace stackd::cli {

namespace net = boost::asio;

namespace {

// How much of a failed container's log apply shows: enough for the error a
// process prints before it exits, short enough to read.
constexpr int kCrashLogLines = 10;

// "90s", "5m", or a plain number of seconds; at most a day.
std::optional<std::chrono::seconds> parse_timeout(const std::string& text) {
  if (!text.empty() && text.size() <= 6 && std::all_of(text.begin(), text.end(), ::isdigit))
    return std::chrono::seconds(std::stoi(text));
  auto d = manifest::parse_duration(text);
  if (!d || *d <= std::chrono::milliseconds(0) || *d > std::chrono::hours(24)) return std::nullopt;
  return std::chrono::duration_cast<std::chrono::seconds>(*d);
}

}  // namespace

void add_apply(CLI::App& app, Action& action) {
  auto* cmd = app.add_subcommand("apply", "converge the stack once and exit");
  struct Opts {
    std::string file;
    snapshot::SnapshotOptions snapshot;
    controller::ContainerSettings containers;
    std::string timeout = "5m";
    std::string output = "text";
    bool force = false;
  };
  auto o = std::make_shared<Opts>();
  o->snapshot.state_dir = default_state_dir();
  cmd->add_option("-f,--file", o->file, "manifest file")->required();
  cmd->add_option("--state-dir", o->snapshot.state_dir, state_dir_help());
  add_allow_empty(*cmd, o->snapshot.allow_empty);
  cmd->footer(environment_help());
  cmd->add_option("--timeout", o->timeout,
                  "bound of every wait: a container to run (and be ready with --wait), Grafana to answer "
                  "(a duration: 90s, 5m; a plain number is seconds)")
      ->capture_default_str()
      ->check([](const std::string& v) {
        return parse_timeout(v) ? std::string() : "--timeout: '" + v + "' is not a duration like 90s or 5m";
      });
  cmd->add_flag("--wait", o->containers.wait,
                "also wait until every container is ready (healthchecks, /-/ready, /api/health)");
  cmd->add_option("-o,--output", o->output,
                  "text, or json: what was changed, in diff's form (progress lines go to stderr)")
      ->check(CLI::IsMember({"text", "json"}));
  cmd->add_flag("--force", o->force, "act even while a stackd daemon manages the stack (it may undo this)");
  cmd->callback([&action, o] {
    action = [o] {
      auto m = load_manifest(o->file, o->snapshot.allow_empty);  // every problem printed as file:line:col
      if (!m) return int(kUsage);
      const std::string name = m->name;
      return run_coroutine([o, name, loaded = std::move(*m)]() mutable -> net::awaitable<int> {
        auto started = std::chrono::steady_clock::now();
        auto ex = co_await net::this_coro::executor;
        runtime::SystemClock clock(ex);
        runtime::DefaultRandom random;
        metrics::Registry registry;
        docker::Client docker(ex, docker::Client::endpoint_from_env());
        if (!co_await engine_answers(docker)) co_return kFailed;
        // One writer per stack: not beside the daemon that manages it.
        auto owner = co_await ownership::check_writer(docker, ownership::Verb::Apply, name, o->force);
        if (!owner.decision.message.empty()) std::cerr << owner.decision.message << "\n";
        if (!owner.decision.proceed) co_return kFailed;
        // Forced beside a daemon: keep the scrape target it serves.
        o->snapshot.daemon_serves_metrics = owner.daemon_serves();
        // The exporter's default image is built, not pulled: say how, before anything changes.
        {
          snapshot::OwnImageLookup own(&docker);
          co_await own.resolve(loaded, o->snapshot.own_image);
        }
        if (auto missing = co_await snapshot::missing_exporter_image(docker, loaded, o->snapshot.own_image)) {
          std::cerr << "error: " << *missing << "\n";
          co_return kFailed;
        }
        snapshot::FileSnapshotLoader loader(o->file, o->snapshot, &docker);
        loader.start_from(std::move(loaded));
        runtime::ManagerOptions options;
        options.serve_http = false;
        runtime::Manager manager(ex, clock, random, registry, loader, options);
        auto settings = o->containers;
        settings.ready_timeout = *parse_timeout(o->timeout);
        // Plain apply returns once every container runs as the engine
        // reports it; --wait (and the daemon) also see it survive its start.
        if (!settings.wait) settings.start_grace = std::chrono::milliseconds(0);
        settings.crash_log_lines = kCrashLogLines;
        settings.wait_for_grafana = true;
        // A raw config is judged once, before anything changes (below), not again at each create.
        settings.check_before_create = [](const desired::DesiredState&, const desired::ContainerSpec&,
                                          std::function<void(const std::string&)>)
            -> net::awaitable<std::optional<std::string>> { co_return std::nullopt; };
        controller::register_reconcilers(manager, ex, docker, registry, settings);
        const bool json = o->output == "json";
        std::function<void(const std::string&)> progress = [json](const std::string& line) {
          (json ? std::cerr : std::cout) << line << std::endl;
        };
        std::vector<runtime::Change> applied;
        bool ok = co_await manager.run_once(
            progress, [&applied](const runtime::Change& c) { applied.push_back(c); },
            [&docker, progress](const desired::Snapshot& snapshot) {
              return controller::configs_refused_before_changes(docker, snapshot.desired, progress);
            });
        auto errors = manager.errors();
        // Running as the engine reported it at start is not running now: a
        // taken port or a bad flag makes a process exit a moment later.
        if (auto pinned = manager.snapshot()) {
          std::set<std::string> fresh;
          for (const auto& c : applied)
            if (c.object == runtime::ObjectKind::Container && c.action != runtime::Action::Delete) fresh.insert(c.name);
          for (auto& crashed : co_await containers::containers_not_running(docker, pinned->desired, kCrashLogLines, fresh)) {
            errors.push_back(std::move(crashed));
            ok = false;
          }
        }
        for (const auto& e : errors) std::cerr << "error: " << e << "\n";
        auto secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
        if (json) {
          auto status = manager.status();
          auto j = plan_json(applied, status.value("attemptedRevision", ""), false);
          j["summary"] = runtime::summary_line(applied, "Applied");
          j["stack"] = name;
          j["converged"] = ok;
          j["errors"] = errors;
          std::cout << j.dump(2) << "\n";
        } else {
          if (!applied.empty()) std::cout << runtime::summary_line(applied, "Applied") << "\n";
          // "converged" only where readiness was checked (--wait); else what is known.
          const char* verdict = !ok ? "FAILED to converge" : settings.wait ? "converged" : "started";
          std::printf("%s %s in %.2fs%s\n", verdict, name.c_str(), secs,
                      ok && !settings.wait ? ": every container runs (readiness not checked: --wait checks it)" : "");
        }
        co_return ok ? kOk : (manager.desired_state_invalid() ? kUsage : kFailed);
      });
    };
  });
}

}  // namespace stackd::cli

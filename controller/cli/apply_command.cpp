// stackd apply -f FILE: converge once; exit 0 when every container runs (and
// is healthy where it has a healthcheck).
#include <chrono>
#include <iostream>

#include "clients/docker/docker_client.hpp"
#include "controller/cli/command_support.hpp"
#include "controller/manager/stack_converger.hpp"
#include "controller/cli/verbs.hpp"

namespace stackd::cli {

namespace net = boost::asio;

void add_apply(CLI::App& app, Action& action) {
  auto* cmd = app.add_subcommand("apply", "converge the stack once and exit");
  struct Opts {
    std::string file, state_dir = default_state_dir();
    int timeout = 120;
  };
  auto o = std::make_shared<Opts>();
  cmd->add_option("-f,--file", o->file, "manifest file")->required();
  cmd->add_option("--state-dir", o->state_dir, "where stackd keeps its state");
  cmd->add_option("--timeout", o->timeout, "seconds to wait for each container to run")->check(CLI::PositiveNumber);
  cmd->callback([&action, o] {
    action = [o] {
      auto m = load_manifest(o->file);
      if (!m) return int(kUsage);
      return run_coroutine([o, m]() -> net::awaitable<int> {
        auto started = std::chrono::steady_clock::now();
        auto ctx = render_context(*m, o->state_dir);
        auto desired = containers::render_desired_state(*m, ctx);
        auto ex = co_await net::this_coro::executor;
        docker::Client docker(ex, docker::Client::endpoint_from_env());
        manager::StackConverger converger(ex, docker, o->state_dir);
        manager::ConvergeObserver observer;
        observer.progress = [](const std::string& line) { std::cout << line << std::endl; };
        observer.on_reload = [](const prometheus::ReloadOutcome& r) {
          if (r.kind == prometheus::ReloadOutcome::Kind::Reloaded) std::cout << "prometheus: configuration reloaded" << std::endl;
        };
        auto out = co_await converger.converge_containers(desired, std::nullopt, observer, std::chrono::seconds(o->timeout),
                                                     /*whole=*/true);
        bool ok = out.result.ok();
        if (ok && m->grafana.enabled) {
          auto report = co_await converger.sync_grafana(*m, desired, ctx.grafana_admin_password);
          std::printf("grafana: %d dashboards created, %d updated, %d unchanged, %d deleted, %d datasources created, %d updated\n",
                      report.created, report.updated, report.unchanged, report.deleted, report.datasources_created,
                      report.datasources_updated);
          for (const auto& e : report.errors) std::cerr << "error: grafana: " << e << "\n";
          ok = report.ok();
        }

        std::map<containers::Change, int> counts;
        for (const auto& c : out.plan.changes) counts[c.change]++;
        auto secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
        for (const auto& r : out.result.results)
          if (!r.error.empty()) std::cerr << "error: " << r.name << ": " << r.error << "\n";
        std::printf("%s %s in %.2fs: %d created, %d recreated, %d started, %d reloaded, %d removed, %d unchanged\n",
                    ok ? "converged" : "FAILED to converge", m->name.c_str(), secs,
                    counts[containers::Change::Create], counts[containers::Change::Recreate],
                    counts[containers::Change::Start], counts[containers::Change::Reload],
                    counts[containers::Change::Remove], counts[containers::Change::Unchanged]);
        co_return ok ? kOk : kFailed;
      });
    };
  });
}

}  // namespace stackd::cli

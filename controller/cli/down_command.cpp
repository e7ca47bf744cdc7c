// stackd down -f FILE [--volumes]: removes what stackd owns for the stack.
#include <iostream>

#include "clients/docker/docker_client.hpp"
#include "controller/cli/command_support.hpp"
#include "controller/cli/verbs.hpp"
#include "reconcilers/containers/apply.hpp"
#include "reconcilers/ownership/daemon_ownership.hpp"

namespace stackd::cli {

namespace net = boost::asio;

void add_down(CLI::App& app, Action& action) {
  auto* cmd = app.add_subcommand("down", "remove the stack's containers and network; data volumes are kept");
  struct Opts {
    std::string file;
    bool volumes = false;
    bool force = false;
  };
  auto o = std::make_shared<Opts>();
  cmd->add_option("-f,--file", o->file, "manifest file")->required();
  cmd->add_flag("--volumes", o->volumes, "also remove the stack's named volumes (its data)");
  cmd->footer(environment_help());
  cmd->add_flag("--force", o->force, "act even while a stackd daemon manages the stack (it recreates what it can)");
  cmd->callback([&action, o] {
    action = [o] {
      // Removing needs no spec.allowEmpty: a manifest that enables nothing still names its stack.
      auto m = load_manifest(o->file, /*allow_empty=*/true);
      if (!m) return int(kUsage);
      return run_coroutine([o, m]() -> net::awaitable<int> {
        docker::Client docker(co_await net::this_coro::executor, docker::Client::endpoint_from_env());
        auto owner = co_await ownership::check_writer(docker, ownership::Verb::Down, m->name, o->force);
        if (!owner.decision.message.empty()) std::cerr << owner.decision.message << "\n";
        if (!owner.decision.proceed) co_return kFailed;
        auto plan = co_await containers::make_down_plan(docker, m->name, o->volumes);
        containers::ApplyOptions options;
        options.progress = [](const std::string& line) { std::cout << line << std::endl; };
        auto result = co_await containers::apply_down(docker, plan, options);
        for (const auto& c : plan.changes)
          if (c.action == runtime::Action::Keep)
            std::cout << "kept " << runtime::to_string(c.object) << " " << c.name << ": " << c.reason << "\n";
        for (const auto& r : result.results)
          if (!r.error.empty())
            std::cerr << "error: " << runtime::to_string(r.object) << " " << r.name << ": " << r.error << "\n";
        std::cout << (result.ok() ? "removed" : "FAILED to remove") << " stack " << m->name << "\n";
        co_return result.ok() ? kOk : kFailed;
      });
    };
  });
}

}  // namespace stackd::cli

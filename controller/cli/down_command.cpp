// stackd down -f FILE [--volumes]: removes what stackd owns for the stack.
#include <iostream>

#include "clients/docker/docker_client.hpp"
#include "controller/cli/command_support.hpp"
#include "controller/cli/verbs.hpp"
#include "reconcilers/containers/apply.hpp"

namespace stackd::cli {

namespace net = boost::asio;

void add_down(CLI::App& app, Action& action) {
  auto* cmd = app.add_subcommand("down", "remove the stack's containers and network; data volumes are kept");
  struct Opts {
    std::string file;
    bool volumes = false;
  };
  auto o = std::make_shared<Opts>();
  cmd->add_option("-f,--file", o->file, "manifest file")->required();
  cmd->add_flag("--volumes", o->volumes, "also remove the stack's named volumes (its data)");
  cmd->callback([&action, o] {
    action = [o] {
      auto m = load_manifest(o->file);
      if (!m) return int(kUsage);
      return run_coroutine([o, m]() -> net::awaitable<int> {
        docker::Client docker(co_await net::this_coro::executor, docker::Client::endpoint_from_env());
        auto plan = co_await containers::make_down_plan(docker, m->name, o->volumes);
        containers::ApplyOptions options;
        options.progress = [](const std::string& line) { std::cout << line << std::endl; };
        auto result = co_await containers::apply_down(docker, plan, options);
        for (const auto& c : plan.changes)
          if (c.change == containers::Change::Unchanged) std::cout << c.kind << " " << c.name << ": " << c.reason << "\n";
        for (const auto& r : result.results)
          if (!r.error.empty()) std::cerr << "error: " << r.name << ": " << r.error << "\n";
        std::cout << (result.ok() ? "removed" : "FAILED to remove") << " stack " << m->name << "\n";
        co_return result.ok() ? kOk : kFailed;
      });
    };
  });
}

}  // namespace stackd::cli

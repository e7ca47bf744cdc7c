// stackd diff -f FILE (or --git-*): what apply would do, and why. Changes nothing.
#include <iostream>

#include "clients/docker/docker_client.hpp"
#include "controller/cli/command_support.hpp"
#include "controller/cli/manifest_input.hpp"
#include "controller/cli/verbs.hpp"
#include "reconcilers/containers/plan.hpp"

namespace stackd::cli {

namespace net = boost::asio;

void add_diff(CLI::App& app, Action& action) {
  auto* cmd = app.add_subcommand("diff", "show what apply would create, recreate, start, reload or remove");
  struct Opts {
    ManifestInput input;  // -f FILE or --git-*: the commit the daemon would apply
    std::string output = "text", state_dir = default_state_dir();
  };
  auto o = std::make_shared<Opts>();
  o->input.add_options(*cmd);
  cmd->add_option("-o,--output", o->output, "text or json")->check(CLI::IsMember({"text", "json"}));
  cmd->add_option("--state-dir", o->state_dir, "where stackd keeps its state");
  cmd->callback([&action, o] {
    action = [o] {
      if (auto rc = o->input.open("diff")) return *rc;
      auto m = o->input.load();
      if (!m) return int(kUsage);
      return run_coroutine([o, m]() -> net::awaitable<int> {
        auto desired = containers::render_desired_state(*m, render_context(*m, o->state_dir));
        docker::Client docker(co_await net::this_coro::executor, docker::Client::endpoint_from_env());
        auto plan = co_await containers::make_plan(docker, desired);
        if (o->output == "json") {
          auto j = plan.to_json();
          j["stack"] = m->name;
          j["revision"] = m->revision;
          if (o->input.checkout) j["sourceRevision"] = o->input.checkout->revision();
          std::cout << j.dump(2) << "\n";
        } else {
          std::cout << "stack " << m->name << " (revision " << m->revision.substr(0, 12);
          if (o->input.checkout) std::cout << ", " << o->input.checkout->revision();
          std::cout << ")\n" << plan.to_text();
          std::cout << (plan.converged() ? "no changes\n" : "") ;
        }
        co_return plan.conflicts().empty() ? kOk : kFailed;
      });
    };
  });
}

}  // namespace stackd::cli

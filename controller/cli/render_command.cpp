// stackd render -f FILE [COMPONENT]: what stackd would send, from the same
// desired state diff and apply use: each container's create document and
// the files delivered into it, and what Grafana is given. Secrets masked.
// Changes nothing (as `docker compose config` and `helm template`).
#include <iostream>

#include <spdlog/spdlog.h>

#include "clients/docker/docker_client.hpp"
#include "controller/cli/command_support.hpp"
#include "controller/cli/manifest_input.hpp"
#include "controller/cli/rendered_output.hpp"
#include "controller/cli/verbs.hpp"
#include "controller/snapshot/file_snapshot_loader.hpp"

namespace stackd::cli {

namespace net = boost::asio;

void add_render(CLI::App& app, Action& action) {
  auto* cmd = app.add_subcommand(
      "render", "print each container's create document and the files delivered into it, as apply would send "
                "them (secrets masked); changes nothing");
  struct Opts {
    ManifestInput input;
    std::string component, output = "text", state_dir = default_state_dir();
  };
  auto o = std::make_shared<Opts>();
  o->input.add_options(*cmd);
  cmd->add_option("component", o->component, "only this component (prometheus, grafana, node-exporter, ...)");
  cmd->add_option("-o,--output", o->output, "text or json")->check(CLI::IsMember({"text", "json"}));
  cmd->add_option("--state-dir", o->state_dir,
                  state_dir_help() + "; render only reads it (a Grafana password stackd generated earlier)");
  cmd->footer(environment_help());
  cmd->callback([&action, o] {
    action = [o] {
      if (auto rc = o->input.open("render")) return *rc;
      auto m = o->input.load();
      if (!m) return int(kUsage);
      std::optional<manifest::ComponentKind> only;
      if (!o->component.empty()) {
        only = manifest::component_kind_named(o->component);
        if (!only) {
          std::cerr << "stackd render: no component named '" << o->component << "' (";
          for (const auto& s : manifest::component_schemas()) std::cerr << s.name << (s.kind == manifest::component_schemas().back().kind ? "" : ", ");
          std::cerr << ")\n";
          return int(kUsage);
        }
      }
      spdlog::set_level(std::max(spdlog::get_level(), spdlog::level::warn));
      return run_coroutine([o, only, loaded = std::move(*m)]() mutable -> net::awaitable<int> {
        docker::Client docker(co_await net::this_coro::executor, docker::Client::endpoint_from_env());
        snapshot::SnapshotOptions options;
        options.state_dir = o->state_dir;
        options.read_only = true;
        // What the engine would tell (the host label, stackd's own image,
        // the running Grafana's password) when it answers; else without.
        docker::Api* engine = &docker;
        try {
          co_await docker.negotiate();
        } catch (const std::exception& e) {
          std::cerr << "warning: " << e.what() << "; rendered without what the engine would tell (the host label, "
                    << "stackd's own image)\n";
          engine = nullptr;
        }
        snapshot::FileSnapshotLoader loader(o->input.file, options, engine);
        loader.start_from(std::move(loaded));
        auto snapshot = co_await loader.load();
        if (o->output == "json") std::cout << rendered_json(snapshot->desired, only).dump(2) << "\n";
        else std::cout << rendered_text(snapshot->desired, only);
        co_return kOk;
      });
    };
  });
}

}  // namespace stackd::cli

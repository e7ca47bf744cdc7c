// stackd status: the running daemon's conditions and components, from its
// /status endpoint; where no daemon answers, what the Docker engine runs
// (engine_status.hpp). -f MANIFEST asks the daemon where that manifest's
// spec.stackd says it listens and narrows the engine's answer to its stack.
#include <iostream>

#include <nlohmann/json.hpp>

#include "api/v1alpha1/labels.hpp"
#include "api/v1alpha1/loader.hpp"
#include "clients/docker/docker_client.hpp"
#include "clients/http/http_client.hpp"
#include "controller/cli/command_support.hpp"
#include "controller/cli/daemon_address.hpp"
#include "controller/cli/engine_status.hpp"
#include "controller/cli/grafana_password_hint.hpp"
#include "controller/cli/verbs.hpp"
#include "reconcilers/ownership/daemon_ownership.hpp"
#include "runtime/status.hpp"

namespace stackd::cli {

namespace net = boost::asio;

namespace {

struct Opts {
  std::string address;  // --address; else from -f; else the default
  std::string file;
  std::string output = "text";
  bool json = false;
};

// The stack's name as the manifest says it ("" without -f or when unreadable).
std::string stack_of(const std::string& file) {
  if (file.empty()) return "";
  try {
    return manifest::load(file).name;
  } catch (const std::exception&) {
    return "";
  }
}

net::awaitable<int> from_engine(std::shared_ptr<Opts> o, std::string stack, std::string no_daemon) {
  docker::Client docker(co_await net::this_coro::executor, docker::Client::endpoint_from_env());
  std::vector<docker::ContainerInfo> containers;
  auto owner = stack.empty() ? docker::Labels{{labels::kManagedBy, labels::kManagedByValue}} : labels::owner_labels(stack);
  for (const auto& c : co_await docker.list_containers(owner, true))
    if (auto info = co_await docker.inspect_container(c.id)) containers.push_back(std::move(*info));
  auto stacks = engine_stacks(containers, stack);
  auto observer = ownership::observe_this_process();
  for (auto& s : stacks) {
    s.daemon = co_await ownership::read_record(docker, s.stack);
    if (s.daemon) s.daemon_probe = co_await ownership::probe(docker, *s.daemon, observer);
  }
  if (o->output == "json") std::cout << engine_status_json(no_daemon, stacks).dump(2) << "\n";
  else std::cout << format_engine_status(no_daemon, stacks);
  co_return kOk;
}

}  // namespace

void add_status(CLI::App& app, Action& action) {
  auto* cmd = app.add_subcommand(
      "status", "show the running daemon's conditions and components (without a daemon: what the engine runs)");
  auto o = std::make_shared<Opts>();
  cmd->add_option("--address", o->address, "where the daemon serves /status (default: from -f, else "
                                           "http://127.0.0.1:9321)");
  cmd->add_option("-f,--file", o->file, "the manifest: its spec.stackd says where its daemon listens");
  cmd->add_option("-o,--output", o->output, "text or json (whole messages)")->check(CLI::IsMember({"text", "json"}));
  cmd->add_flag("--json", o->json, "the same as -o json");
  cmd->callback([&action, o] {
    action = [o] {
      if (o->json) o->output = "json";
      auto address = daemon_address_from_flags(o->address, o->file);
      if (!address) return int(kUsage);
      o->address = *address;
      const std::string stack = stack_of(o->file);
      return run_coroutine([o, stack]() -> net::awaitable<int> {
        http::Client client(co_await net::this_coro::executor, http::Endpoint::parse(o->address));
        http::Request req{.target = "/status", .timeout = std::chrono::seconds(5)};
        std::string no_daemon;
        nlohmann::json j;
        try {
          auto resp = co_await client.send(req);
          j = nlohmann::json::parse(resp.body, nullptr, false);
          if (resp.status != 200 || j.is_discarded() || !j.is_object())
            no_daemon = "no stackd daemon answers at " + o->address + " (HTTP " + std::to_string(resp.status) + ")";
          else if (!stack.empty() && j.value("stack", "") != stack)
            no_daemon = "the daemon at " + o->address + " manages stack " + j.value("stack", "?") + ", not " + stack;
        } catch (const http::TransportError& e) {
          no_daemon = "no stackd daemon answers at " + o->address + " (" + e.what() + "): the daemon is not running";
        }
        if (!no_daemon.empty()) co_return co_await from_engine(o, stack, no_daemon);
        if (o->output == "json") {
          std::cout << j.dump(2) << "\n";
        } else {
          runtime::StackStatus status;
          runtime::from_json(j, status);
          std::cout << runtime::format_status(status, std::chrono::system_clock::now());
          // A Grafana the daemon runs is <stack>-grafana (spec.grafana.url: none).
          if (auto g = status.components.find("grafana"); g != status.components.end() && !g->second.container_id.empty())
            std::cout << "\n" << grafana_password_line(status.stack + "-grafana");
        }
        co_return kOk;
      });
    };
  });
}

}  // namespace stackd::cli

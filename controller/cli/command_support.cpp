#include "controller/cli/command_support.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>
#include <spdlog/spdlog.h>

#include <cstdlib>
#include <filesystem>
#include <iostream>

#include "api/v1alpha1/loader.hpp"

namespace stackd::cli {

namespace net = boost::asio;

net::awaitable<bool> engine_answers(docker::Client& docker) {
  try {
    co_await docker.negotiate();
    co_return true;
  } catch (const docker::EngineUnreachable& e) {
    std::cerr << "error: " << e.what() << "\n";
    co_return false;
  }
}

int run_coroutine(std::function<net::awaitable<int>()> body) {
  net::io_context io;
  auto result = net::co_spawn(io, body(), net::use_future);
  io.run();
  try {
    return result.get();
  } catch (const std::exception& e) {
    std::cerr << "error: " << e.what() << "\n";
    return kFailed;
  }
}

std::optional<manifest::Manifest> load_manifest(const std::string& path, bool allow_empty) {
  try {
    return manifest::load(path, manifest::LoadOptions{.allow_empty = allow_empty});
  } catch (const manifest::ManifestError& e) {
    std::cerr << e.what();
    std::cerr << "manifest " << path << " is invalid: " << e.diagnostics().items().size() << " problem"
              << (e.diagnostics().items().size() == 1 ? "" : "s") << "; nothing was changed\n";
    return std::nullopt;
  }
}

void add_allow_empty(CLI::App& cmd, bool& allow_empty) {
  cmd.add_flag("--allow-empty", allow_empty,
               "accept a manifest that enables no component (as spec.allowEmpty: true): the stack is then removed");
}

std::string state_dir_help() {
  return "where stackd keeps a generated Grafana admin password until Grafana holds it (default: "
         "$STACKD_STATE_DIR, else /var/lib/stackd as root, else $XDG_STATE_HOME/stackd or ~/.local/state/stackd)";
}

std::string environment_help() {
  return "Environment:\n"
         "  DOCKER_HOST        the Docker engine (unix:// or tcp://; default unix:///var/run/docker.sock)\n"
         "  DOCKER_CONFIG      where registry credentials are read (default ~/.docker)\n"
         "  STACKD_STATE_DIR   the state directory when --state-dir is not given (default /var/lib/stackd as root,\n"
         "                     else $XDG_STATE_HOME/stackd or ~/.local/state/stackd)\n"
         "  STACKD_IMAGE       the Ollama exporter's image when the manifest names none and stackd does not run\n"
         "                     in a container (default stackd:" STACKD_VERSION ")\n"
         "  STACKD_CONTAINER   set in stackd's image: the host's directories (dataPath) are not checked from\n"
         "                     inside it, the engine reports a missing one\n";
}

}  // namespace stackd::cli

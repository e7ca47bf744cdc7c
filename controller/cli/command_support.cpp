#include "controller/cli/command_support.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <iostream>

#include "controller/manifest/loader.hpp"
#include "reconcilers/grafana/admin_password.hpp"

namespace stackd::cli {

namespace net = boost::asio;

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

std::optional<manifest::Manifest> load_manifest(const std::string& path) {
  try {
    return manifest::load(path);
  } catch (const manifest::ManifestError& e) {
    std::cerr << e.what();
    std::cerr << "manifest " << path << " is invalid: " << e.diagnostics().items().size() << " problem"
              << (e.diagnostics().items().size() == 1 ? "" : "s") << "; nothing was changed\n";
    return std::nullopt;
  }
}

std::string default_state_dir() {
  if (const char* d = std::getenv("STACKD_STATE_DIR"); d && *d) return d;
  if (::geteuid() == 0) return "/var/lib/stackd";
  if (const char* x = std::getenv("XDG_STATE_HOME"); x && *x) return std::string(x) + "/stackd";
  if (const char* h = std::getenv("HOME"); h && *h) return std::string(h) + "/.local/state/stackd";
  return "/tmp/stackd-state";
}

containers::RenderContext render_context(const manifest::Manifest& m, const std::string& state_dir) {
  containers::RenderContext ctx;
  ctx.exporter_image = std::string("stackd:") + STACKD_VERSION;
  if (const char* self = std::getenv("STACKD_IMAGE"); self && *self) ctx.exporter_image = self;
  if (m.grafana.enabled) {
    std::string file = m.grafana.admin_password_file ? m.grafana.admin_password_file->path : "";
    ctx.grafana_admin_password =
        grafana::resolve_admin_password(file, m.grafana.admin_password_env, state_dir + "/" + m.name);
  }
  return ctx;
}

bool stdout_is_terminal() { return ::isatty(STDOUT_FILENO) == 1; }

}  // namespace stackd::cli

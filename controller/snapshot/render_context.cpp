#include "controller/snapshot/render_context.hpp"

#include <unistd.h>

#include <cstdlib>

#include "reconcilers/grafana/admin_password.hpp"

namespace stackd::snapshot {

std::string default_state_dir() {
  if (const char* d = std::getenv("STACKD_STATE_DIR"); d && *d) return d;
  if (::geteuid() == 0) return "/var/lib/stackd";
  if (const char* x = std::getenv("XDG_STATE_HOME"); x && *x) return std::string(x) + "/stackd";
  if (const char* h = std::getenv("HOME"); h && *h) return std::string(h) + "/.local/state/stackd";
  return "/tmp/stackd-state";
}

containers::RenderContext render_context(const manifest::Manifest& m, const std::string& state_dir) {
  containers::RenderContext ctx;
  // The exporter runs from the image stackd itself runs from when it knows it
  // (set by the Dockerfile / chart), else the tag the project's Dockerfile builds.
  ctx.exporter_image = std::string("stackd:") + STACKD_VERSION;
  if (const char* self = std::getenv("STACKD_IMAGE"); self && *self) ctx.exporter_image = self;
  if (m.grafana.enabled) {
    std::string file = m.grafana.admin_password_file ? m.grafana.admin_password_file->path : "";
    ctx.grafana_admin_password =
        grafana::resolve_admin_password(file, m.grafana.admin_password_env, state_dir + "/" + m.name);
  }
  return ctx;
}

}  // namespace stackd::snapshot

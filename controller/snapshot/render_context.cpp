#include "controller/snapshot/render_context.hpp"

#include <unistd.h>

#include <cstdlib>

#include "controller/snapshot/own_image_lookup.hpp"
#include "reconcilers/grafana/admin_password.hpp"

namespace stackd::snapshot {

std::string default_state_dir() {
  if (const char* d = std::getenv("STACKD_STATE_DIR"); d && *d) return d;
  if (::geteuid() == 0) return "/var/lib/stackd";
  if (const char* x = std::getenv("XDG_STATE_HOME"); x && *x) return std::string(x) + "/stackd";
  if (const char* h = std::getenv("HOME"); h && *h) return std::string(h) + "/.local/state/stackd";
  return "/tmp/stackd-state";
}

desired::ResolvedValues resolve_values(const manifest::Manifest& m, const std::string& state_dir,
                                       grafana::Storage storage, const std::optional<std::string>& in_container) {
  desired::ResolvedValues ctx;
  // The exporter runs from the image stackd itself runs from when it knows it
  // (set by the Dockerfile / chart), else the tag the project's Dockerfile builds.
  ctx.exporter_image = default_exporter_image();
  if (m.grafana.enabled) {
    // A password file is the pinned revision's (read, bounded and trimmed by
    // the loader), never read again here.
    if (m.grafana.admin_password_file) ctx.grafana_admin_password = m.grafana.admin_password_file->content;
    else if (m.grafana.admin_password_env.empty() && in_container && !in_container->empty())
      ctx.grafana_admin_password = *in_container;
    else
      ctx.grafana_admin_password = grafana::resolve_admin_password(
          "", m.grafana.admin_password_env, state_dir.empty() ? std::string() : state_dir + "/" + m.name, storage);
  }
  return ctx;
}

}  // namespace stackd::snapshot

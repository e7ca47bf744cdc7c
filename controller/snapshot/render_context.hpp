#pragma once
// Everything rendering needs that the manifest does not say: the Grafana
// admin password (from a file, an env var, or generated once into the state
// directory) and the image the Ollama exporter runs from.
#include <string>

#include "api/v1alpha1/manifest.hpp"
#include "reconcilers/containers/desired_state.hpp"

namespace stackd::snapshot {

// Where stackd keeps what must survive restarts: $STACKD_STATE_DIR,
// /var/lib/stackd as root, else $XDG_STATE_HOME/stackd or ~/.local/state/stackd.
std::string default_state_dir();

containers::RenderContext render_context(const manifest::Manifest& m, const std::string& state_dir);

}  // namespace stackd::snapshot

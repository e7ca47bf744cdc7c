#pragma once
// Everything rendering needs that the manifest does not say: the Grafana
// admin password (from a file, an env var, or generated once into the state
// directory) and the image the Ollama exporter runs from.
#include <optional>
#include <string>

#include "api/v1alpha1/manifest.hpp"
#include "desired/render.hpp"
#include "reconcilers/grafana/admin_password.hpp"

namespace stackd::snapshot {

// Where stackd keeps what must survive restarts: $STACKD_STATE_DIR,
// /var/lib/stackd as root, else $XDG_STATE_HOME/stackd or ~/.local/state/stackd.
std::string default_state_dir();

// The Grafana admin password, in this order: the manifest's file or
// variable; what the stack's Grafana container holds (`in_container`: every
// stackd managing the stack finds it there, whoever runs it); what this
// state directory keeps; else generated and kept there (with
// grafana::Storage::ReadOnly: "" instead).
desired::ResolvedValues resolve_values(const manifest::Manifest& m, const std::string& state_dir,
                                       grafana::Storage storage = grafana::Storage::GenerateAndStore,
                                       const std::optional<std::string>& in_container = std::nullopt);

}  // namespace stackd::snapshot

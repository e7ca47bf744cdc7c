#pragma once
// What "the same dashboard" means when stackd compares its file with what
// Grafana holds: canonical JSON (keys sorted, compact) without the fields the
// server owns, hashed with sha256.
//
// Dropped or normalised, each because it otherwise causes an endless re-push
// (docs/grafana.md):
//  - top-level `id` and `version`: set by Grafana on every save;
//  - `libraryPanel` objects: Grafana expands them on read; only uid and name
//    are the user's (Terraform's NormalizeDashboardConfigJSON does the same);
//  - integral floats (1.0): Grafana re-encodes through Go's float64, so 1.0
//    comes back as 1.
// Keys only the remote copy has are NOT ignored (unlike grafana-operator's
// one-way compare): a panel added in the UI is drift too.
#include <nlohmann/json.hpp>

#include <string>

namespace stackd::grafana {

nlohmann::json canonical_dashboard(const nlohmann::json& model);
// sha256 hex of canonical_dashboard(model).dump().
std::string dashboard_hash(const nlohmann::json& model);

}  // namespace stackd::grafana

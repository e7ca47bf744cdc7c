#pragma once
// A Grafana dashboard file as the manifest references it, checked when the
// manifest is loaded (before anything touches Docker or Grafana): bounded
// JSON, a top-level object, a valid uid and a title. Files exported with
// Grafana's "Export for sharing externally" ({"__inputs":..., ...}) and API
// exports ({"dashboard":..., "meta":...}) are both accepted.
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "api/v1alpha1/diagnostics.hpp"
#include "api/v1alpha1/manifest.hpp"
#include "common/bounded_json.hpp"

namespace stackd::manifest {

// The limits every dashboard is read with (one place).
JsonLimits dashboard_json_limits();

// nullopt and a diagnostic at the problem's file:line:col (file:1:1 when it
// has no position) when `file` is not a usable dashboard.
std::optional<DashboardDocument> read_dashboard(const FileRef& file, Diagnostics& diags);

}  // namespace stackd::manifest

#pragma once
// The dashboards a manifest names (`dashboards: [{path: glob, folder: title}]`),
// as Grafana's desired state. The manifest loader has already globbed, read,
// bounded and checked every file (api/v1alpha1/dashboard_file.hpp); this
// turns the loaded manifest's DashboardSource::files into DashboardSpecs with
// the same reader, so both see one set of limits.
#include <cstddef>
#include <filesystem>
#include <string>
#include <vector>

#include "api/v1alpha1/manifest.hpp"
#include "reconcilers/grafana/grafana_reconciler.hpp"

namespace stackd::grafana {

struct LoadedDashboards {
  std::vector<DashboardSpec> dashboards;
  std::vector<std::string> errors;  // one per bad file, each naming it with file:line:col
  bool ok() const { return errors.empty(); }
};

// From the manifest's snapshot: no disk access.
LoadedDashboards load_dashboards(const std::vector<manifest::DashboardSource>& sources);

// DEPRECATED, kept only until the runtime rewrite (issue 9) switches
// controller/manager/stack_converger.cpp to the overload above: re-globs the
// disk, which lets edits bypass validation. Uses the manifest loader's reader
// and limits. Remove together with its last caller.
struct DashboardGlob {
  std::string pattern;  // relative to the manifest's directory; glob(7) wildcards
  std::string folder;   // folder title; "" = root
};
struct LoadLimits {
  std::size_t max_file_bytes = 8 * 1024 * 1024;
  std::size_t max_files = 5000;
};
LoadedDashboards load_dashboards(const std::filesystem::path& base_dir, const std::vector<DashboardGlob>& globs,
                                 const LoadLimits& limits = {});

}  // namespace stackd::grafana

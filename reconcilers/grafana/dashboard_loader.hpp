#pragma once
// Loads the dashboard files a manifest names (`dashboards: [{path: glob, folder: title}]`).
// Every problem is an error naming the file, and never stops the other files:
// unreadable, larger than the limit, not JSON, no uid, an invalid uid, no
// title, a uid used twice. Files exported with Grafana's "Export for sharing
// externally" ({"__inputs":..., ...}) and API exports ({"dashboard":..., "meta":...})
// are both accepted.
#include <cstddef>
#include <filesystem>
#include <string>
#include <vector>

#include "reconcilers/grafana/grafana_reconciler.hpp"

namespace stackd::grafana {

struct DashboardGlob {
  std::string pattern;  // relative to the manifest's directory; glob(7) wildcards
  std::string folder;   // folder title; "" = root
};

struct LoadLimits {
  std::size_t max_file_bytes = 8 * 1024 * 1024;  // the largest community dashboards are ~1 MiB
  std::size_t max_files = 5000;
};

struct LoadedDashboards {
  std::vector<DashboardSpec> dashboards;
  std::vector<std::string> errors;  // one per bad file or pattern, each naming it
  bool ok() const { return errors.empty(); }
};

// One dashboard file already read (the manifest loader reads them with its
// limits): the same checks, without touching the disk.
struct DashboardFile {
  std::string path;     // for messages
  std::string content;
  std::string folder;   // folder title; "" = root
};
LoadedDashboards parse_dashboards(const std::vector<DashboardFile>& files);

LoadedDashboards load_dashboards(const std::filesystem::path& base_dir, const std::vector<DashboardGlob>& globs,
                                 const LoadLimits& limits = {});

}  // namespace stackd::grafana

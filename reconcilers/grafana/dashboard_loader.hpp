#pragma once
// The dashboards a manifest names (`dashboards: [{path: glob, folder: title}]`),
// as Grafana's desired state. The manifest loader has already globbed, read,
// bounded and checked every file (api/v1alpha1/dashboard_file.hpp) before
// anything touches Docker; this turns the snapshot's files into DashboardSpecs
// with the same reader, so both see one set of limits, and never reads the
// disk (an edit after the load cannot bypass validation).
#include <string>
#include <vector>

#include "reconcilers/grafana/grafana_reconciler.hpp"

namespace stackd::grafana {

struct LoadedDashboards {
  std::vector<DashboardSpec> dashboards;
  std::vector<std::string> errors;  // one per bad file, each naming it with file:line:col
  bool ok() const { return errors.empty(); }
};

// One dashboard file already read by the manifest loader.
struct DashboardFile {
  std::string path;     // for messages
  std::string content;
  std::string folder;   // folder title; "" = root
};

// Every problem is an error naming the file, and never stops the other files:
// invalid or too deeply nested JSON, no uid, an invalid uid, no title, a uid
// used twice.
LoadedDashboards parse_dashboards(const std::vector<DashboardFile>& files);

}  // namespace stackd::grafana

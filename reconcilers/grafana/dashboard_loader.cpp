#include "reconcilers/grafana/dashboard_loader.hpp"

#include <map>

#include "api/v1alpha1/dashboard_file.hpp"

namespace stackd::grafana {

LoadedDashboards parse_dashboards(const std::vector<DashboardFile>& files) {
  LoadedDashboards out;
  std::map<std::string, std::string> uid_source;
  for (const auto& f : files) {
    manifest::Diagnostics diags;
    auto doc = manifest::read_dashboard(manifest::FileRef{f.path, f.path, f.content}, diags);
    if (!doc) {
      for (const auto& d : diags.items()) out.errors.push_back(d.to_string());
      continue;
    }
    if (auto [it, fresh] = uid_source.emplace(doc->uid, f.path); !fresh) {
      out.errors.push_back(f.path + ":1:1: dashboard uid \"" + doc->uid + "\" is already used by " + it->second);
      continue;
    }
    out.dashboards.push_back(DashboardSpec{f.path, std::move(doc->model), f.folder});
  }
  return out;
}

}  // namespace stackd::grafana

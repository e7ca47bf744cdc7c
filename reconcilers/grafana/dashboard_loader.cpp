#include "reconcilers/grafana/dashboard_loader.hpp"

#include <glob.h>

#include <algorithm>
#include <fstream>
#include <map>

#include "api/v1alpha1/dashboard_file.hpp"

namespace stackd::grafana {

namespace {

// One file: checked by the manifest's reader, and its uid unique so far.
void add_dashboard(const manifest::FileRef& file, const std::string& folder, std::map<std::string, std::string>& uid_source,
                   LoadedDashboards& out) {
  manifest::Diagnostics diags;
  auto doc = manifest::read_dashboard(file, diags);
  if (!doc) {
    for (const auto& d : diags.items()) out.errors.push_back(d.to_string());
    return;
  }
  if (auto [it, fresh] = uid_source.emplace(doc->uid, file.path); !fresh) {
    out.errors.push_back(file.path + ":1:1: dashboard uid \"" + doc->uid + "\" is already used by " + it->second);
    return;
  }
  out.dashboards.push_back(DashboardSpec{file.path, std::move(doc->model), folder});
}

}  // namespace

LoadedDashboards load_dashboards(const std::vector<manifest::DashboardSource>& sources) {
  LoadedDashboards out;
  std::map<std::string, std::string> uid_source;
  for (const auto& src : sources)
    for (const auto& f : src.files) add_dashboard(f, src.folder, uid_source, out);
  return out;
}

LoadedDashboards load_dashboards(const std::filesystem::path& base_dir, const std::vector<DashboardGlob>& globs,
                                 const LoadLimits& limits) {
  LoadedDashboards out;
  std::map<std::string, std::string> uid_source;
  std::size_t files = 0;
  for (const auto& g : globs) {
    auto pattern = std::filesystem::path(g.pattern).is_absolute() ? std::filesystem::path(g.pattern) : base_dir / g.pattern;
    glob_t gl{};
    int rc = ::glob(pattern.c_str(), GLOB_MARK, nullptr, &gl);
    std::vector<std::string> paths;
    if (rc == 0)
      for (std::size_t i = 0; i < gl.gl_pathc; ++i)
        if (std::string p = gl.gl_pathv[i]; !p.empty() && p.back() != '/') paths.push_back(std::move(p));
    globfree(&gl);
    std::sort(paths.begin(), paths.end());
    if (paths.empty()) {
      out.errors.push_back("dashboards path " + g.pattern + " matches no file (looked in " + base_dir.string() + ")");
      continue;
    }
    for (const auto& path : paths) {
      if (++files > limits.max_files) {
        out.errors.push_back("more than " + std::to_string(limits.max_files) + " dashboard files; the rest are ignored");
        return out;
      }
      std::error_code ec;
      auto size = std::filesystem::file_size(path, ec);
      if (ec || size > limits.max_file_bytes) {
        out.errors.push_back(path + ": cannot read, or over the limit of " + std::to_string(limits.max_file_bytes) + " bytes");
        continue;
      }
      std::ifstream in(path, std::ios::binary);
      std::string text(static_cast<std::size_t>(size), '\0');
      if (!in.read(text.data(), static_cast<std::streamsize>(size))) {
        out.errors.push_back(path + ": cannot read");
        continue;
      }
      add_dashboard(manifest::FileRef{path, path, std::move(text)}, g.folder, uid_source, out);
    }
  }
  return out;
}

}  // namespace stackd::grafana

#include "reconcilers/grafana/dashboard_loader.hpp"

#include <glob.h>

#include <algorithm>
#include <cctype>
#include <fstream>
#include <map>

namespace stackd::grafana {

namespace {

using nlohmann::json;

bool valid_uid(const std::string& uid) {
  return !uid.empty() && uid.size() <= 40 && std::all_of(uid.begin(), uid.end(), [](unsigned char c) {
    return std::isalnum(c) || c == '-' || c == '_';
  });
}

std::vector<std::string> expand(const std::filesystem::path& pattern, std::string& error) {
  glob_t g{};
  int rc = ::glob(pattern.c_str(), GLOB_MARK, nullptr, &g);
  std::vector<std::string> out;
  if (rc == 0) {
    for (std::size_t i = 0; i < g.gl_pathc; ++i) {
      std::string p = g.gl_pathv[i];
      if (!p.empty() && p.back() != '/') out.push_back(std::move(p));  // GLOB_MARK: skip directories
    }
  } else if (rc == GLOB_NOMATCH) {
    error = "matches no file";
  } else {
    error = "cannot be read (glob error)";
  }
  globfree(&g);
  std::sort(out.begin(), out.end());
  return out;
}

void parse_one(const std::string& path, const std::string& text, const std::string& folder,
               std::map<std::string, std::string>& uid_source, LoadedDashboards& out);

}  // namespace

LoadedDashboards load_dashboards(const std::filesystem::path& base_dir, const std::vector<DashboardGlob>& globs,
                                 const LoadLimits& limits) {
  LoadedDashboards out;
  std::map<std::string, std::string> uid_source;
  std::size_t files = 0;
  for (const auto& g : globs) {
    std::filesystem::path pattern = std::filesystem::path(g.pattern).is_absolute() ? std::filesystem::path(g.pattern) : base_dir / g.pattern;
    std::string glob_error;
    auto paths = expand(pattern, glob_error);
    if (!glob_error.empty()) {
      out.errors.push_back("dashboards path " + g.pattern + " " + glob_error + " (looked in " + base_dir.string() + ")");
      continue;
    }
    for (const auto& path : paths) {
      if (++files > limits.max_files) {
        out.errors.push_back("more than " + std::to_string(limits.max_files) + " dashboard files; the rest are ignored");
        return out;
      }
      std::error_code ec;
      auto size = std::filesystem::file_size(path, ec);
      if (ec) {
        out.errors.push_back(path + ": cannot read: " + ec.message());
        continue;
      }
      if (size > limits.max_file_bytes) {
        out.errors.push_back(path + ": " + std::to_string(size) + " bytes, over the limit of " +
                             std::to_string(limits.max_file_bytes));
        continue;
      }
      std::ifstream in(path, std::ios::binary);
      std::string text(static_cast<std::size_t>(size), '\0');
      if (!in.read(text.data(), static_cast<std::streamsize>(size))) {
        out.errors.push_back(path + ": cannot read");
        continue;
      }
      parse_one(path, text, g.folder, uid_source, out);
    }
  }
  return out;
}

namespace {

// Checks one dashboard file's content and adds it (or an error naming it).
void parse_one(const std::string& path, const std::string& text, const std::string& folder,
               std::map<std::string, std::string>& uid_source, LoadedDashboards& out) {
  json model;
    try {
      model = json::parse(text);
    } catch (const json::parse_error& e) {
      out.errors.push_back(path + ": invalid JSON: " + e.what());
      return;
    }
    if (model.is_object() && model.contains("dashboard") && model["dashboard"].is_object() &&
        model.contains("meta"))
      model = json(model["dashboard"]);  // an API export
    if (!model.is_object()) {
      out.errors.push_back(path + ": not a dashboard (the top level is not a JSON object)");
      return;
    }
    auto uid_it = model.find("uid");
    if (uid_it == model.end() || !uid_it->is_string() || uid_it->get<std::string>().empty()) {
      out.errors.push_back(path + ": has no \"uid\"; add a stable one (letters, digits, '-' or '_', at most 40)");
      return;
    }
    std::string uid = *uid_it;
    if (!valid_uid(uid)) {
      out.errors.push_back(path + ": uid \"" + uid.substr(0, 60) +
                     "\" is invalid (letters, digits, '-' or '_', at most 40 characters)");
      return;
    }
    if (!model.contains("title") || !model["title"].is_string() || model["title"].get<std::string>().empty()) {
      out.errors.push_back(path + ": has no \"title\"");
      return;
    }
    if (auto [it, fresh] = uid_source.emplace(uid, path); !fresh) {
      out.errors.push_back(path + ": uid \"" + uid + "\" is already used by " + it->second);
      return;
    }
  out.dashboards.push_back(DashboardSpec{path, std::move(model), folder});
}

}  // namespace

LoadedDashboards parse_dashboards(const std::vector<DashboardFile>& files) {
  LoadedDashboards out;
  std::map<std::string, std::string> uid_source;
  for (const auto& f : files) parse_one(f.path, f.content, f.folder, uid_source, out);
  return out;
}


}  // namespace stackd::grafana

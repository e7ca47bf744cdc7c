#include "tests/e2e/dashboard_queries.hpp"

#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "tests/e2e/e2e_support.hpp"

namespace stackd::e2e {

namespace fs = std::filesystem;

namespace {

void collect(const nlohmann::json& panels, const std::string& dashboard, std::vector<PanelQuery>& out) {
  if (!panels.is_array()) return;
  for (const auto& p : panels) {
    if (p.contains("panels")) collect(p["panels"], dashboard, out);
    if (!p.contains("targets")) continue;
    for (const auto& t : p["targets"])
      if (t.contains("expr") && t["expr"].is_string() && !t["expr"].get<std::string>().empty())
        out.push_back({dashboard + " / " + p.value("title", "?"), t["expr"].get<std::string>()});
  }
}

std::string url_encode(const std::string& s) {
  std::string out;
  char buf[4];
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') out.push_back(static_cast<char>(c));
    else {
      std::snprintf(buf, sizeof buf, "%%%02X", c);
      out += buf;
    }
  }
  return out;
}

}  // namespace

std::vector<PanelQuery> panel_queries(const nlohmann::json& dashboard, const std::string& name) {
  std::vector<PanelQuery> out;
  collect(dashboard.value("panels", nlohmann::json::array()), name, out);
  return out;
}

std::vector<PanelQuery> shipped_panel_queries() {
  std::vector<PanelQuery> out;
  for (const auto& e : fs::directory_iterator(fs::path(source_dir()) / "manifests/grafana/dashboards")) {
    std::ifstream in(e.path());
    std::stringstream ss;
    ss << in.rdbuf();
    for (auto& q : panel_queries(nlohmann::json::parse(ss.str()), e.path().filename().string())) out.push_back(std::move(q));
  }
  return out;
}

std::string as_grafana_sends(std::string expr) {
  for (auto [var, value] : {std::pair{"$__rate_interval", "20s"}, {"$__interval", "1s"}, {"$__range", "1m"},
                            {"$model", ".*"}, {"$instance", ".*"}, {"$job", ".*"}, {"$host", ".*"}}) {
    for (std::size_t at; (at = expr.find(var)) != std::string::npos;) expr.replace(at, std::strlen(var), value);
  }
  return expr;
}

bool is_gpu_query(const std::string& expr) {
  return expr.find("gpu:") != std::string::npos || expr.find("energy_per_generated_token") != std::string::npos;
}

nlohmann::json prometheus_query(int port, const std::string& expr) {
  return nlohmann::json::parse(http_get(port, "/api/v1/query?query=" + url_encode(expr)), nullptr, false);
}

nlohmann::json prometheus_query(int port, const std::string& expr, const std::string& time) {
  return nlohmann::json::parse(http_get(port, "/api/v1/query?query=" + url_encode(expr) + "&time=" + url_encode(time)),
                               nullptr, false);
}

}  // namespace stackd::e2e

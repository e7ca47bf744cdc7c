#pragma once
// The PromQL of the shipped Grafana dashboards, as Grafana would send it,
// asked of a stack's Prometheus: for the e2e tests that prove every panel
// query returns data.
#include <nlohmann/json.hpp>

#include <string>
#include <vector>

namespace stackd::e2e {

struct PanelQuery {
  std::string where;  // "gpu.json / Power"
  std::string expr;   // as written in the dashboard
};

// Every target expression of every panel, rows' panels included.
std::vector<PanelQuery> panel_queries(const nlohmann::json& dashboard, const std::string& name);
// The queries of every dashboard under manifests/grafana/dashboards.
std::vector<PanelQuery> shipped_panel_queries();

// What Grafana sends for "All" of every variable and a short range.
std::string as_grafana_sends(std::string expr);

// A query of the GPU recording rules (manifests/prometheus/gpu.yml): it has
// data only where a GPU exporter runs (tests/e2e/gpu_e2e_test.cpp).
bool is_gpu_query(const std::string& expr);

// GET /api/v1/query of the Prometheus on 127.0.0.1:port; discarded JSON when
// it does not answer.
nlohmann::json prometheus_query(int port, const std::string& expr);
// The same at one evaluation time (unix seconds, as Prometheus writes them).
nlohmann::json prometheus_query(int port, const std::string& expr, const std::string& time);

}  // namespace stackd::e2e

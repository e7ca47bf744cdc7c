// The whole stack end to end (issues 5 and 6 through the daemon): Prometheus,
// the Grafana fake as a container, node-exporter, and the Ollama exporter run
// from stackd's own image in front of the fake Ollama; traffic through the
// exporter; every shipped dashboard panel answered by the stack's Prometheus;
// Grafana drift repaired; the admin password nowhere it must not be.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <signal.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "tests/e2e/dashboard_queries.hpp"
#include "tests/e2e/e2e_support.hpp"

using namespace stackd::e2e;
using namespace std::chrono_literals;
namespace fs = std::filesystem;

namespace {

constexpr int kProm = 29590, kNode = 29591, kGrafana = 29530, kExporter = 29535, kOllama = 29511, kApi = 29599;

std::string read_file(const fs::path& p) {
  std::ifstream in(p);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::string grafana(const std::string& auth, const std::string& method, const std::string& path, const std::string& body = "") {
  std::string data;
  if (!body.empty()) {
    auto file = fs::temp_directory_path() / "stackd-e2e-grafana-body.json";
    std::ofstream(file) << body;
    data = " --data-binary @" + file.string();
  }
  return sh("curl -s -u '" + auth + "' -X " + method + " -H 'Content-Type: application/json'" + data +
            " 'http://127.0.0.1:" + std::to_string(kGrafana) + path + "'")
      .output;
}

}  // namespace

TEST(StackE2E, FullStackServesEveryDashboardPanelAndRepairsGrafanaDrift) {
  StackDir dir("e2e-stack");
  const auto src = fs::path(source_dir());
  dir.write("prometheus/alerts.yml", read_file(src / "manifests/prometheus/alerts.yml"));
  std::vector<std::string> dashboards;
  for (const auto& e : fs::directory_iterator(src / "manifests/grafana/dashboards")) {
    dir.write("dashboards/" + e.path().filename().string(), read_file(e.path()));
    dashboards.push_back(e.path().filename().string());
  }
  ASSERT_GE(dashboards.size(), 3u);
  dir.write("stack.yaml", "apiVersion: stackd.dev/v1alpha1\nkind: MonitoringStack\nmetadata: {name: " + dir.stack() +
                              "}\nspec:\n  network: host\n  stackd: {port: " + std::to_string(kApi) +
                              "}\n  prometheus:\n    image: stackd-test/prometheus:2.42\n    port: " + std::to_string(kProm) +
                              "\n    scrapeInterval: 1s\n    rules: [prometheus/alerts.yml]\n"
                              "  grafana:\n    image: stackd-test/grafana:fake\n    port: " + std::to_string(kGrafana) +
                              "\n    resyncInterval: 2s\n    dashboards:\n      - {path: dashboards/*.json, folder: Frontier LLM}\n"
                              "  nodeExporter: {image: stackd-test/node-exporter:1.5, port: " + std::to_string(kNode) +
                              "}\n  ollama:\n    url: http://127.0.0.1:" + std::to_string(kOllama) +
                              "\n    exporter: {image: stackd-test/stackd:e2e, port: " + std::to_string(kExporter) + "}\n");

  // Cached prompt counts on (Ollama reports them since ollama/ollama#17943): the cache-hit panel needs them.
  BackgroundProcess ollama("env OLLAMA_HOST=127.0.0.1:" + std::to_string(kOllama) + " FAKE_OLLAMA_TOKEN_DELAY_MS=5 FAKE_OLLAMA_CACHED_COUNT=1 " +
                     STACKD_E2E_FAKE_OLLAMA,
                 dir.write("ollama.log", ""));
  auto state = dir.write("state/.keep", "");
  state = fs::path(state).parent_path().string();
  BackgroundProcess daemon("env STACKD_STATE_DIR=" + state + " " + STACKD_E2E_BIN + " run -f " + dir.manifest(),
                 dir.write("daemon.log", ""));
  auto daemon_log = [&] { return read_file(fs::path(dir.manifest()).parent_path() / "daemon.log"); };
  ASSERT_TRUE(eventually([&] { return http_get(kApi, "/readyz").find("ok") != std::string::npos; }, 90s)) << daemon_log();

  // The generated password: a 0600 file in the state directory, never in env, labels, /status or /metrics.
  auto pw_path = fs::path(state) / dir.stack() / "grafana-admin-password";
  ASSERT_TRUE(fs::exists(pw_path)) << daemon_log();
  EXPECT_EQ(fs::status(pw_path).permissions() & fs::perms::all, fs::perms::owner_read | fs::perms::owner_write);
  auto password = read_file(pw_path);
  while (!password.empty() && password.back() == '\n') password.pop_back();
  ASSERT_GE(password.size(), 16u);
  const std::string gname = dir.stack() + "-grafana";
  EXPECT_EQ(inspect(gname, "{{json .Config}}").find(password), std::string::npos);
  EXPECT_EQ(http_get(kApi, "/status").find(password), std::string::npos);
  EXPECT_EQ(http_get(kApi, "/metrics").find(password), std::string::npos);
  EXPECT_EQ(daemon_log().find(password), std::string::npos);
  const std::string auth = "admin:" + password;

  // Grafana holds the datasource and every dashboard, in its folder.
  ASSERT_TRUE(eventually([&] {
    auto j = nlohmann::json::parse(grafana(auth, "GET", "/api/search?type=dash-db"), nullptr, false);
    return j.is_array() && j.size() == dashboards.size();
  }, 60s)) << grafana(auth, "GET", "/api/search") << daemon_log();
  auto ds = nlohmann::json::parse(grafana(auth, "GET", "/api/datasources/uid/prometheus"), nullptr, false);
  EXPECT_EQ(ds.value("url", ""), "http://127.0.0.1:" + std::to_string(kProm)) << ds.dump();
  auto search = nlohmann::json::parse(grafana(auth, "GET", "/api/search?type=dash-db"), nullptr, false);
  for (const auto& d : search) EXPECT_EQ(d.value("folderTitle", ""), "Frontier LLM") << d.dump();

  // Traffic through the exporter (a container of the stack), spread over time
  // so rate() has samples: non-streaming, streaming, OpenAI-style, an answer
  // cut off by num_predict, a mid-stream error.
  const std::string proxy = "http://127.0.0.1:" + std::to_string(kExporter);
  int sent = 0, stream_errors = 0;
  for (int round = 0; round < 8; ++round) {
    for (const auto& [path, body] : {
             std::pair{"/api/generate", R"({"model":"llama3.2:1b","prompt":"hi","stream":false})"},
             {"/api/chat", R"({"model":"llama3.2:1b","messages":[{"role":"user","content":"hi"}]})"},
             {"/api/generate", R"({"model":"qwen2.5:0.5b","prompt":"hello"})"},
             {"/v1/chat/completions", R"({"model":"qwen2.5:0.5b","stream":true,"messages":[{"role":"user","content":"x"}]})"},
             {"/api/generate", R"({"model":"qwen2.5:0.5b","prompt":"long [tokens:20]","options":{"num_predict":4}})"},
         }) {
      auto r = sh("curl -sf -N " + proxy + path + " -d '" + body + "'");
      EXPECT_EQ(r.exit_code, 0) << path << ": " << r.output;
      ++sent;
    }
    if (round % 4 == 0) {
      sh("curl -s -N " + proxy + "/api/generate -d '{\"model\":\"llama3.2:1b\",\"prompt\":\"[fail-midstream]\"}'");
      ++sent;
      ++stream_errors;
    }
    std::this_thread::sleep_for(1s);
  }

  // Prometheus (the stack's) counts exactly the traffic sent.
  auto query = [&](const std::string& expr) { return prometheus_query(kProm, expr); };
  auto scalar = [&](const std::string& expr) {
    auto j = query(expr);
    if (j.is_discarded() || j["data"]["result"].empty()) return -1.0;
    return std::stod(j["data"]["result"][0]["value"][1].get<std::string>());
  };
  EXPECT_TRUE(eventually([&] { return scalar("sum(ollama_requests_total)") == sent; }, 20s))
      << "prometheus sees " << scalar("sum(ollama_requests_total)") << ", sent " << sent;
  EXPECT_EQ(scalar("sum(ollama_requests_total{status=\"stream_error\"})"), stream_errors);
  EXPECT_EQ(scalar("ollama_up"), 1);

  // Every PromQL expression of every shipped dashboard panel returns data
  // (the GPU rules' need a GPU exporter: gpu_e2e_test.cpp proves those).
  std::vector<PanelQuery> exprs;
  for (auto& q : shipped_panel_queries())
    if (!is_gpu_query(q.expr)) exprs.push_back(std::move(q));
  ASSERT_GE(exprs.size(), 20u);
  for (const auto& [where, expr] : exprs) {
    auto e = as_grafana_sends(expr);
    EXPECT_TRUE(eventually([&] {
      auto j = query(e);
      return !j.is_discarded() && j.value("status", "") == "success" && !j["data"]["result"].empty();
    }, 15s)) << where << ": " << e << " -> " << query(e).dump();
  }

  // Grafana drift: a UI edit is restored and a UI delete recreated at the next resync.
  auto uid = search[0].value("uid", "");
  auto original = nlohmann::json::parse(grafana(auth, "GET", "/api/dashboards/uid/" + uid), nullptr, false);
  auto title = original["dashboard"].value("title", "");
  auto edited = original["dashboard"];
  edited["title"] = "edited in the UI";
  auto saved = grafana(auth, "POST", "/api/dashboards/db", nlohmann::json{{"dashboard", edited}, {"overwrite", true}}.dump());
  ASSERT_NE(saved.find("success"), std::string::npos) << saved;
  EXPECT_TRUE(eventually([&] {
    auto now = nlohmann::json::parse(grafana(auth, "GET", "/api/dashboards/uid/" + uid), nullptr, false);
    return !now.is_discarded() && now["dashboard"].value("title", "") == title;
  }, 20s)) << daemon_log();
  grafana(auth, "DELETE", "/api/dashboards/uid/" + uid);
  EXPECT_TRUE(eventually([&] {
    auto now = nlohmann::json::parse(grafana(auth, "GET", "/api/dashboards/uid/" + uid), nullptr, false);
    return !now.is_discarded() && now.contains("dashboard") && now["dashboard"].value("title", "") == title;
  }, 20s)) << daemon_log();
  EXPECT_GE(metric_value(http_get(kApi, "/metrics"), "stackd_drift_repairs_total{kind=\"dashboard\"}"), 2);

  // An unchanged resync pushes nothing: once two more Grafana passes have run
  // (the reconcile counter grew), the version is where it was.
  auto version = nlohmann::json::parse(grafana(auth, "GET", "/api/dashboards/uid/" + uid))["dashboard"].value("version", 0);
  auto grafana_passes = [&] {
    return metric_value(http_get(kApi, "/metrics"), "stackd_reconcile_total{reconciler=\"grafana\",result=\"success\"}");
  };
  const auto passes = grafana_passes();
  EXPECT_TRUE(eventually([&] { return grafana_passes() >= passes + 2; }, 20s)) << daemon_log();
  EXPECT_EQ(nlohmann::json::parse(grafana(auth, "GET", "/api/dashboards/uid/" + uid))["dashboard"].value("version", 0),
            version);
}

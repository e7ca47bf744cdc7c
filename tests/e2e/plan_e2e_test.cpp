// The plan is the truth: for each kind of edit a user makes (manifest fields,
// referenced files, dashboards, an edit in Grafana's UI, a container removed
// or stopped by hand, a stack rename), on the real engine with the Grafana
// fake, `stackd diff -o json` lists exactly the changes that `stackd apply
// -o json` then makes, the world afterwards is what the diff said, and a
// second diff exits 0 with nothing listed.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <filesystem>
#include <map>
#include <set>

#include "tests/e2e/e2e_support.hpp"

using namespace stackd::e2e;
using nlohmann::json;
namespace fs = std::filesystem;

namespace {

constexpr int kProm = 29801, kNode = 29802, kGrafana = 29803, kAm = 29804, kApi = 29809;

const char* kRules = "groups:\n  - name: demo\n    rules:\n      - record: demo:up:sum\n        expr: sum(up)\n";
const char* kAlerts =
    "groups:\n  - name: ollama\n    rules:\n      - alert: OllamaQueueBacklog\n"
    "        expr: ollama_queue_depth > ${alerts.ollamaQueueBacklog.threshold:-10}\n"
    "        for: ${alerts.ollamaQueueBacklog.for:-10m}\n";

std::string dashboard(const std::string& uid, const std::string& title, const std::string& expr = "up") {
  return json{{"uid", uid},
              {"title", title},
              {"schemaVersion", 39},
              {"panels",
               {{{"id", 1}, {"type", "timeseries"}, {"title", "Up"}, {"targets", {{{"expr", expr}}}}}}}}
      .dump(2);
}

// The parts of the manifest the scenarios edit.
struct Spec {
  std::string stack;
  std::string retention = "15d";
  std::string scrape_interval = "15s";
  std::string node_image = "stackd-test/node-exporter:1.5";
  std::string node_env;          // "NAME: value" or ""
  std::string node_memory;       // "64MiB" or ""
  int node_port = kNode;
  std::string backlog_threshold; // spec.alerts.ollamaQueueBacklog.threshold or ""
  std::string am_group_wait = "30s";
  bool extra_scrape = false;
};

std::string manifest(const Spec& s) {
  std::string m = "apiVersion: stackd.dev/v1alpha1\nkind: MonitoringStack\nmetadata: {name: " + s.stack +
                  "}\nspec:\n  network: host\n  stackd: {port: " + std::to_string(kApi) +
                  "}\n  prometheus:\n    image: stackd-test/prometheus:2.42\n    port: " + std::to_string(kProm) +
                  "\n    retention: " + s.retention + "\n    scrapeInterval: " + s.scrape_interval +
                  "\n    rules: [rules/*.yml]\n";
  if (s.extra_scrape) m += "    extraScrapeConfigs: scrape-extra.yml\n";
  m += "  grafana:\n    image: stackd-test/grafana:fake\n    port: " + std::to_string(kGrafana) +
       "\n    admin: {passwordFile: secrets/grafana}\n    dashboards:\n"
       "      - {path: dashboards/*.json, folder: Plan}\n      - {path: moved/*.json, folder: Elsewhere}\n";
  m += "  nodeExporter:\n    image: " + s.node_image + "\n    port: " + std::to_string(s.node_port) + "\n";
  if (!s.node_env.empty()) m += "    env: {" + s.node_env + "}\n";
  if (!s.node_memory.empty()) m += "    memoryLimit: " + s.node_memory + "\n";
  m += "  alertmanager:\n    image: stackd-test/alertmanager:0.25\n    port: " + std::to_string(kAm) +
       "\n    route: {groupWait: " + s.am_group_wait +
       "}\n    receivers:\n      - name: ops\n        webhook: {url: 'http://127.0.0.1:29808/alerts'}\n";
  if (!s.backlog_threshold.empty())
    m += "  alerts:\n    ollamaQueueBacklog: {threshold: " + s.backlog_threshold + "}\n";
  return m;
}

// "object action name" of every change: what diff promised, what apply did.
std::multiset<std::string> keys(const json& doc) {
  std::multiset<std::string> out;
  for (const auto& c : doc["changes"])
    out.insert(c["object"].get<std::string>() + " " + c["action"].get<std::string>() + " " + c["name"].get<std::string>());
  return out;
}

std::string shown(const std::multiset<std::string>& k) {
  std::string s;
  for (const auto& x : k) s += "  " + x + "\n";
  return s;
}

const json* find_change(const json& doc, const std::string& object, const std::string& action,
                        const std::string& name_part) {
  for (const auto& c : doc["changes"])
    if (c["object"] == object && c["action"] == action &&
        c["name"].get<std::string>().find(name_part) != std::string::npos)
      return &c;
  return nullptr;
}

std::string field_new(const json& change, const std::string& path) {
  for (const auto& f : change["fields"])
    if (f["path"] == path) return f["old"].get<std::string>() + " -> " + f["new"].get<std::string>();
  return "<no field " + path + ">";
}

class PlanE2E : public ::testing::Test {
 protected:
  PlanE2E() : dir_("e2e-plan") {
    spec_.stack = dir_.stack();
    dir_.write("secrets/grafana", "plan-e2e-admin-pass\n");
    dir_.write("rules/demo.yml", kRules);
    dir_.write("rules/alerts.yml", kAlerts);
    dir_.write("dashboards/a.json", dashboard("plan-a", "Plan A"));
    dir_.write("moved/keep.json", dashboard("plan-keep", "Plan Keep"));
    write();
  }
  void write() { dir_.write("stack.yaml", manifest(spec_)); }

  json run_json(const std::string& verb, int expect_exit) {
    const auto err = dir_.write(verb + ".stderr", "");
    auto r = run_stackd(verb + " -o json -f " + dir_.manifest() + " 2>" + err);
    EXPECT_EQ(r.exit_code, expect_exit) << verb << ":\n" << r.output << sh("cat " + err).output;
    auto j = json::parse(r.output, nullptr, false);
    EXPECT_FALSE(j.is_discarded()) << verb << ":\n" << r.output;
    return j.is_discarded() ? json{{"changes", json::array()}} : j;
  }

  // diff lists changes (exit 3); apply makes exactly those; a second diff
  // finds nothing (exit 0). Returns the diff.
  json plan_then_apply() {
    auto planned = run_json("diff", 3);
    auto applied = run_json("apply", 0);
    EXPECT_EQ(keys(planned), keys(applied)) << "diff said:\n" << shown(keys(planned)) << "apply did:\n"
                                            << shown(keys(applied));
    EXPECT_EQ(applied.value("converged", false), true) << applied.dump(2);
    auto again = run_json("diff", 0);
    EXPECT_TRUE(again["changes"].empty()) << again.dump(2);
    return planned;
  }

  std::string grafana(const std::string& method, const std::string& path, const std::string& body = "") {
    std::string data;
    if (!body.empty()) data = " --data-binary @" + dir_.write("grafana-body.json", body);
    return sh("curl -s -u admin:plan-e2e-admin-pass -X " + method + " -H 'Content-Type: application/json'" + data +
              " 'http://127.0.0.1:" + std::to_string(kGrafana) + path + "'")
        .output;
  }

  std::string container(const std::string& component) const { return dir_.stack() + "-" + component; }

  StackDir dir_;
  Spec spec_;
};

}  // namespace

TEST_F(PlanE2E, EveryKindOfEditIsPlannedExactlyAsApplyThenMakesIt) {
  // From nothing: every object is a create.
  auto cold = plan_then_apply();
  for (const char* c : {"prometheus", "node-exporter", "grafana", "alertmanager"})
    EXPECT_TRUE(find_change(cold, "container", "create", container(c))) << c << "\n" << cold.dump(2);
  EXPECT_TRUE(find_change(cold, "volume", "create", container("prometheus") + "-data"));
  EXPECT_TRUE(find_change(cold, "dashboard", "create", "plan-a")) << cold.dump(2);
  EXPECT_TRUE(find_change(cold, "folder", "create", "Plan"));
  EXPECT_TRUE(find_change(cold, "datasource", "create", "Prometheus"));
  ASSERT_TRUE(eventually([&] { return grafana("GET", "/api/dashboards/uid/plan-a").find("Plan A") != std::string::npos; }));

  // A flag of Prometheus: a recreate that says the old and new value.
  const auto prom_id = inspect(container("prometheus"), "{{.Id}}");
  spec_.retention = "30d";
  write();
  auto retention = plan_then_apply();
  const auto* recreate = find_change(retention, "container", "recreate", container("prometheus"));
  ASSERT_TRUE(recreate) << retention.dump(2);
  EXPECT_EQ(field_new(*recreate, "command --storage.tsdb.retention.time"), "15d -> 30d");
  EXPECT_NE(inspect(container("prometheus"), "{{.Id}}"), prom_id);
  EXPECT_NE(inspect(container("prometheus"), "{{json .Config.Cmd}}").find("--storage.tsdb.retention.time=30d"),
            std::string::npos);

  // An image tag, an environment variable, a memory limit, a port.
  spec_.node_image = "stackd-test/node-exporter:1.5b";
  sh("docker tag stackd-test/node-exporter:1.5 stackd-test/node-exporter:1.5b");
  spec_.node_env = "PLAN_SECRET: hunter2";
  spec_.node_memory = "64MiB";
  spec_.node_port = kNode + 10;
  write();
  auto node = plan_then_apply();
  const auto* node_recreate = find_change(node, "container", "recreate", container("node-exporter"));
  ASSERT_TRUE(node_recreate) << node.dump(2);
  EXPECT_EQ(field_new(*node_recreate, "image"), "stackd-test/node-exporter:1.5 -> stackd-test/node-exporter:1.5b");
  EXPECT_EQ(field_new(*node_recreate, "memory limit"), " -> 64MiB");
  EXPECT_EQ(node.dump().find("hunter2"), std::string::npos) << "an environment value is never shown";
  EXPECT_NE(field_new(*node_recreate, "env PLAN_SECRET").find("(absent) ->"), std::string::npos);
  // The port moved: so did Prometheus's scrape target (a reload of prometheus.yml).
  EXPECT_TRUE(find_change(node, "file", "reload", "prometheus.yml")) << node.dump(2);
  EXPECT_EQ(inspect(container("node-exporter"), "{{.Config.Image}}"), "stackd-test/node-exporter:1.5b");
  EXPECT_EQ(inspect(container("node-exporter"), "{{.HostConfig.Memory}}"), "67108864");

  // Referenced files: a rule, an alert threshold, extra scrape configs, the
  // scrape interval: reloads of files named as the user names them, with
  // their content's diff; Prometheus is not recreated.
  const auto prom_now = inspect(container("prometheus"), "{{.Id}}");
  dir_.write("rules/demo.yml", std::string(kRules) + "      - record: demo:up:count\n        expr: count(up)\n");
  spec_.backlog_threshold = "25";
  spec_.scrape_interval = "10s";
  spec_.extra_scrape = true;
  dir_.write("scrape-extra.yml", "- job_name: extra\n  static_configs:\n    - targets: ['127.0.0.1:29807']\n");
  write();
  auto files = plan_then_apply();
  const auto* rule = find_change(files, "file", "reload", "rules/demo.yml");
  ASSERT_TRUE(rule) << files.dump(2);
  EXPECT_NE((*rule)["diff"].get<std::string>().find("+      - record: demo:up:count"), std::string::npos);
  const auto* threshold = find_change(files, "file", "reload", "rules/alerts.yml");
  ASSERT_TRUE(threshold) << files.dump(2);
  EXPECT_NE((*threshold)["diff"].get<std::string>().find("+        expr: ollama_queue_depth > 25"), std::string::npos)
      << (*threshold)["diff"];
  const auto* yml = find_change(files, "file", "reload", "prometheus.yml");
  ASSERT_TRUE(yml) << files.dump(2);
  EXPECT_NE((*yml)["diff"].get<std::string>().find("+  scrape_interval: 10s"), std::string::npos) << (*yml)["diff"];
  EXPECT_NE((*yml)["diff"].get<std::string>().find("+  - job_name: extra"), std::string::npos) << (*yml)["diff"];
  EXPECT_FALSE(find_change(files, "container", "recreate", container("prometheus")));
  EXPECT_EQ(inspect(container("prometheus"), "{{.Id}}"), prom_now);
  ASSERT_TRUE(eventually([&] { return http_get(kProm, "/api/v1/rules").find("demo:up:count") != std::string::npos; }));

  // Alertmanager's config: a reload of the file it is generated into.
  spec_.am_group_wait = "7s";
  write();
  auto am = plan_then_apply();
  const auto* am_file = find_change(am, "file", "reload", "alertmanager.yml");
  ASSERT_TRUE(am_file) << am.dump(2);
  EXPECT_NE((*am_file)["diff"].get<std::string>().find("+  group_wait: 7s"), std::string::npos) << (*am_file)["diff"];

  // Dashboards: added, changed (by panel), moved to another folder, removed.
  dir_.write("dashboards/b.json", dashboard("plan-b", "Plan B"));
  dir_.write("dashboards/a.json", dashboard("plan-a", "Plan A", "sum(up)"));
  write();
  auto dashboards = plan_then_apply();
  ASSERT_TRUE(find_change(dashboards, "dashboard", "create", "plan-b")) << dashboards.dump(2);
  const auto* changed = find_change(dashboards, "dashboard", "update", "plan-a");
  ASSERT_TRUE(changed) << dashboards.dump(2);
  EXPECT_NE((*changed)["diff"].get<std::string>().find("panel 1 \"Up\": changed"), std::string::npos) << (*changed)["diff"];
  EXPECT_NE(grafana("GET", "/api/dashboards/uid/plan-a").find("sum(up)"), std::string::npos);

  fs::rename(fs::path(dir_.manifest()).parent_path() / "dashboards/b.json",
             fs::path(dir_.manifest()).parent_path() / "moved/b.json");
  fs::remove(fs::path(dir_.manifest()).parent_path() / "dashboards/a.json");
  dir_.write("dashboards/c.json", dashboard("plan-c", "Plan C"));
  auto moves = plan_then_apply();
  EXPECT_TRUE(find_change(moves, "dashboard", "move", "plan-b")) << moves.dump(2);
  EXPECT_TRUE(find_change(moves, "dashboard", "delete", "plan-a")) << moves.dump(2);
  EXPECT_TRUE(find_change(moves, "dashboard", "create", "plan-c")) << moves.dump(2);
  EXPECT_EQ(grafana("GET", "/api/dashboards/uid/plan-a").find("Plan A"), std::string::npos) << "deleted";
  EXPECT_NE(grafana("GET", "/api/dashboards/uid/plan-b").find("Elsewhere"), std::string::npos);

  // Made outside stackd: a dashboard edited in the UI, a container removed,
  // one stopped: listed apart (outside), and put back.
  auto current = json::parse(grafana("GET", "/api/dashboards/uid/plan-c"), nullptr, false);
  ASSERT_TRUE(current.is_object());
  json edited = current["dashboard"];
  edited["title"] = "Plan C (edited in the UI)";
  grafana("POST", "/api/dashboards/db",
          json{{"dashboard", edited}, {"folderUid", current["meta"].value("folderUid", "")}, {"overwrite", true},
               {"message", "edited in UI"}}
              .dump());
  sh("docker rm -f " + container("node-exporter"));
  sh("docker stop " + container("alertmanager"));
  auto drift = plan_then_apply();
  const auto* ui = find_change(drift, "dashboard", "update", "plan-c");
  ASSERT_TRUE(ui) << drift.dump(2);
  EXPECT_TRUE((*ui)["outside"].get<bool>());
  const auto* removed = find_change(drift, "container", "create", container("node-exporter"));
  ASSERT_TRUE(removed) << drift.dump(2);
  EXPECT_TRUE((*removed)["outside"].get<bool>());
  EXPECT_EQ((*removed)["reason"], "removed outside stackd");
  const auto* stopped = find_change(drift, "container", "start", container("alertmanager"));
  ASSERT_TRUE(stopped) << drift.dump(2);
  EXPECT_TRUE((*stopped)["outside"].get<bool>());
  EXPECT_EQ(inspect(container("alertmanager"), "{{.State.Running}}"), "true");
  EXPECT_NE(grafana("GET", "/api/dashboards/uid/plan-c").find("\"Plan C\""), std::string::npos);

  // A rename: the old stack goes (its containers), its data is copied to the
  // new names (the old volumes are kept), the new one is created on it.
  double before_rename = 0;
  ASSERT_TRUE(eventually([&] {
    auto j = json::parse(http_get(kProm, "/api/v1/query?query=up%7Bjob%3D%22prometheus%22%7D"), nullptr, false);
    if (j.is_discarded() || j["data"]["result"].empty()) return false;
    before_rename = j["data"]["result"][0]["value"][0].get<double>();
    return true;
  }));
  const auto old_stack = spec_.stack;
  spec_.stack = spec_.stack + "-renamed";
  write();
  auto rename = plan_then_apply();
  EXPECT_TRUE(find_change(rename, "stack", "delete", old_stack)) << rename.dump(2);
  EXPECT_TRUE(find_change(rename, "container", "delete", old_stack + "-prometheus")) << rename.dump(2);
  const auto* kept = find_change(rename, "volume", "keep", old_stack + "-prometheus-data");
  ASSERT_TRUE(kept) << rename.dump(2);
  const auto* copied = find_change(rename, "volume", "create", spec_.stack + "-prometheus-data");
  ASSERT_TRUE(copied) << rename.dump(2);
  EXPECT_NE((*copied)["reason"].get<std::string>().find("holds the data of " + old_stack + "-prometheus-data"),
            std::string::npos)
      << (*copied)["reason"];
  EXPECT_TRUE(find_change(rename, "container", "create", spec_.stack + "-prometheus")) << rename.dump(2);
  EXPECT_FALSE(container_exists(old_stack + "-prometheus"));
  EXPECT_TRUE(volume_exists(old_stack + "-prometheus-data"));
  EXPECT_TRUE(container_exists(spec_.stack + "-prometheus"));
  // The samples written under the old name are served under the new one.
  char query[160];
  std::snprintf(query, sizeof query, "/api/v1/query?query=up%%7Bjob%%3D%%22prometheus%%22%%7D&time=%.3f", before_rename);
  EXPECT_TRUE(eventually([&] {
    auto j = json::parse(http_get(kProm, query), nullptr, false);
    return !j.is_discarded() && !j["data"]["result"].empty();
  })) << http_get(kProm, query);
  run_stackd("down --volumes -f " + dir_.manifest());
  sh("docker volume rm $(docker volume ls -q --filter label=dev.stackd.stack=" + old_stack + ") >/dev/null 2>&1");
}

// diff is read-only: no state directory needed or created, nothing written
// to the engine, no password generated.
TEST_F(PlanE2E, DiffWritesNothingAnywhere) {
  const auto state = fs::temp_directory_path() / "stackd-e2e-plan-no-state";
  fs::remove_all(state);
  const auto before = sh("docker ps -aq; docker volume ls -q; docker network ls -q").output;
  // No admin password given: apply would generate one; diff must not.
  dir_.write("stack.yaml", manifest(spec_).replace(manifest(spec_).find("    admin: {passwordFile: secrets/grafana}\n"),
                                                    std::string("    admin: {passwordFile: secrets/grafana}\n").size(), ""));
  auto r = run_stackd("diff -f " + dir_.manifest() + " --state-dir " + state.string());
  EXPECT_EQ(r.exit_code, 3) << r.output;
  EXPECT_NE(r.output.find("Plan: "), std::string::npos) << r.output;
  EXPECT_FALSE(fs::exists(state)) << "diff created the state directory";
  EXPECT_EQ(sh("docker ps -aq; docker volume ls -q; docker network ls -q").output, before);
}

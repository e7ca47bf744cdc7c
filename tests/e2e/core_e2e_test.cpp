// End to end: manifest to containers on a real Docker engine.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "tests/e2e/e2e_support.hpp"

using namespace stackd::e2e;

namespace {

struct Ports {
  int prometheus, node_exporter, stackd;
};

std::string manifest(const std::string& stack, Ports p, const std::string& prometheus_extra = "",
                     const std::string& prometheus_image = "stackd-test/prometheus:2.42") {
  return "apiVersion: stackd.dev/v1alpha1\nkind: MonitoringStack\nmetadata:\n  name: " + stack +
         "\nspec:\n  network: host\n  stackd:\n    port: " + std::to_string(p.stackd) +
         "\n  prometheus:\n    image: " + prometheus_image + "\n    port: " + std::to_string(p.prometheus) +
         "\n    scrapeInterval: 1s\n    rules:\n      - rules/*.yml\n" + prometheus_extra +
         "  nodeExporter:\n    image: stackd-test/node-exporter:1.5\n    port: " + std::to_string(p.node_exporter) + "\n";
}

const char* kRules = "groups:\n  - name: demo\n    rules:\n      - record: demo:up:sum\n        expr: sum(up)\n";

struct Snapshot {
  std::string id, started_at;
};

Snapshot snap(const std::string& name) { return {inspect(name, "{{.Id}}"), inspect(name, "{{.State.StartedAt}}")}; }

}  // namespace

TEST(CoreE2E, ConvergeFromEmptyThenSecondApplyIsANoop) {
  StackDir dir("e2e-core-a");
  Ports p{29090, 29100, 29321};
  dir.write("rules/demo.yml", kRules);
  dir.write("stack.yaml", manifest(dir.stack(), p));

  auto first = run_stackd("apply -f " + dir.manifest());
  ASSERT_EQ(first.exit_code, 0) << first.output;
  EXPECT_NE(first.output.find("started " + dir.stack() + " in "), std::string::npos) << first.output;

  for (const auto* component : {"prometheus", "node-exporter"}) {
    std::string name = dir.stack() + "-" + component;
    EXPECT_EQ(inspect(name, "{{.State.Running}}"), "true") << name;
    EXPECT_EQ(inspect(name, "{{index .Config.Labels \"dev.stackd.managed-by\"}}"), "stackd");
    EXPECT_EQ(inspect(name, "{{index .Config.Labels \"dev.stackd.stack\"}}"), dir.stack());
    EXPECT_EQ(inspect(name, "{{index .Config.Labels \"dev.stackd.component\"}}"), component);
    EXPECT_EQ(inspect(name, "{{index .Config.Labels \"dev.stackd.spec-hash\"}}").size(), 64u);
  }
  EXPECT_TRUE(volume_exists(dir.stack() + "-prometheus-data"));
  EXPECT_EQ(inspect(dir.stack() + "-prometheus-data", "{{index .Labels \"dev.stackd.managed-by\"}}"), "stackd");
  // Prometheus really runs with the delivered config and rules (no host paths).
  ASSERT_TRUE(eventually([&] { return http_get(p.prometheus, "/-/ready").find("Ready") != std::string::npos; }));
  EXPECT_NE(http_get(p.prometheus, "/api/v1/rules").find("demo:up:sum"), std::string::npos);
  EXPECT_TRUE(eventually([&] {
    return http_get(p.prometheus, "/api/v1/query?query=up%7Bjob%3D%22node-exporter%22%7D").find("\"1\"") !=
           std::string::npos;
  })) << "Prometheus does not scrape node-exporter";

  auto before_prom = snap(dir.stack() + "-prometheus");
  auto before_ne = snap(dir.stack() + "-node-exporter");
  auto diff = run_stackd("diff -f " + dir.manifest());
  EXPECT_EQ(diff.exit_code, 0) << diff.output;
  EXPECT_NE(diff.output.find("No changes"), std::string::npos) << diff.output;

  auto second = run_stackd("apply -f " + dir.manifest());
  ASSERT_EQ(second.exit_code, 0) << second.output;
  auto after_prom = snap(dir.stack() + "-prometheus");
  auto after_ne = snap(dir.stack() + "-node-exporter");
  EXPECT_EQ(before_prom.id, after_prom.id);
  EXPECT_EQ(before_prom.started_at, after_prom.started_at);
  EXPECT_EQ(before_ne.id, after_ne.id);
  EXPECT_EQ(before_ne.started_at, after_ne.started_at);

  // A rule change is a reload, not a recreation: diff says so, apply does it.
  dir.write("rules/demo.yml", "groups:\n  - name: demo\n    rules:\n      - record: demo:up:count\n        expr: count(up)\n");
  auto reload_diff = run_stackd("diff -f " + dir.manifest());
  EXPECT_EQ(reload_diff.exit_code, 3) << reload_diff.output;
  EXPECT_NE(reload_diff.output.find("~ reload   file rules/demo.yml: promtool check config, then Prometheus reloads it"),
            std::string::npos)
      << reload_diff.output;
  EXPECT_NE(reload_diff.output.find("+      - record: demo:up:count"), std::string::npos) << reload_diff.output;
  auto reload = run_stackd("apply -f " + dir.manifest());
  ASSERT_EQ(reload.exit_code, 0) << reload.output;
  EXPECT_NE(http_get(p.prometheus, "/api/v1/rules").find("demo:up:count"), std::string::npos);
  EXPECT_EQ(snap(dir.stack() + "-prometheus").id, before_prom.id);
  EXPECT_EQ(snap(dir.stack() + "-prometheus").started_at, before_prom.started_at);
}

TEST(CoreE2E, ImageAndArgsChangesRecreateExactlyThatContainerAndKeepData) {
  StackDir dir("e2e-core-b");
  Ports p{29091, 29101, 29322};
  dir.write("rules/demo.yml", kRules);
  dir.write("stack.yaml", manifest(dir.stack(), p));
  auto first = run_stackd("apply -f " + dir.manifest());
  ASSERT_EQ(first.exit_code, 0) << first.output;
  ASSERT_TRUE(eventually([&] { return http_get(p.prometheus, "/-/ready").find("Ready") != std::string::npos; }));

  // A sample written before the upgrade, remembered by its timestamp.
  double sample_time = 0;
  ASSERT_TRUE(eventually([&] {
    auto j = nlohmann::json::parse(http_get(p.prometheus, "/api/v1/query?query=up%7Bjob%3D%22prometheus%22%7D"), nullptr, false);
    if (j.is_discarded() || j["data"]["result"].empty()) return false;
    sample_time = j["data"]["result"][0]["value"][0].get<double>();
    return true;
  }));
  auto ne_before = snap(dir.stack() + "-node-exporter");
  auto prom_before = snap(dir.stack() + "-prometheus");

  // Image change: recreate Prometheus only.
  dir.write("stack.yaml", manifest(dir.stack(), p, "", "stackd-test/prometheus:2.42b"));
  auto diff = run_stackd("diff -f " + dir.manifest());
  EXPECT_EQ(diff.exit_code, 3) << diff.output;
  EXPECT_NE(diff.output.find("~ recreate container " + dir.stack() + "-prometheus: changed: image"), std::string::npos)
      << diff.output;
  EXPECT_NE(diff.output.find("image: stackd-test/prometheus:2.42 -> stackd-test/prometheus:2.42b"), std::string::npos)
      << diff.output;
  auto json_diff = run_stackd("diff -o json -f " + dir.manifest() + " 2>/dev/null");
  auto jd = nlohmann::json::parse(json_diff.output, nullptr, false);
  ASSERT_FALSE(jd.is_discarded()) << json_diff.output;
  ASSERT_EQ(jd["changes"].size(), 1u) << json_diff.output;
  EXPECT_EQ(jd["changes"][0]["object"], "container");
  EXPECT_EQ(jd["changes"][0]["action"], "recreate");
  EXPECT_EQ(jd["changes"][0]["fields"][0]["path"], "image");
  EXPECT_EQ(jd["changes"][0]["fields"][0]["new"], "stackd-test/prometheus:2.42b");
  auto second = run_stackd("apply -f " + dir.manifest());
  ASSERT_EQ(second.exit_code, 0) << second.output;
  auto prom_after = snap(dir.stack() + "-prometheus");
  EXPECT_NE(prom_after.id, prom_before.id);
  EXPECT_EQ(inspect(dir.stack() + "-prometheus", "{{.Config.Image}}"), "stackd-test/prometheus:2.42b");
  auto ne_after = snap(dir.stack() + "-node-exporter");
  EXPECT_EQ(ne_after.id, ne_before.id);
  EXPECT_EQ(ne_after.started_at, ne_before.started_at);

  // TSDB data written before the recreation is still there.
  ASSERT_TRUE(eventually([&] { return http_get(p.prometheus, "/-/ready").find("Ready") != std::string::npos; }));
  char query[256];
  std::snprintf(query, sizeof query, "/api/v1/query?query=up%%7Bjob%%3D%%22prometheus%%22%%7D&time=%.3f", sample_time);
  auto old = nlohmann::json::parse(http_get(p.prometheus, query), nullptr, false);
  ASSERT_FALSE(old.is_discarded());
  EXPECT_FALSE(old["data"]["result"].empty()) << "sample from before the recreation is gone: " << old.dump();
  // ... and with its files: the rules are loaded again.
  EXPECT_NE(http_get(p.prometheus, "/api/v1/rules").find("demo:up:sum"), std::string::npos);

  // Args change: recreate again, node-exporter still untouched.
  dir.write("stack.yaml", manifest(dir.stack(), p, "    args: [\"--log.level=debug\"]\n", "stackd-test/prometheus:2.42b"));
  auto third = run_stackd("apply -f " + dir.manifest());
  ASSERT_EQ(third.exit_code, 0) << third.output;
  EXPECT_NE(snap(dir.stack() + "-prometheus").id, prom_after.id);
  EXPECT_NE(inspect(dir.stack() + "-prometheus", "{{json .Args}}").find("--log.level=debug"), std::string::npos);
  EXPECT_EQ(snap(dir.stack() + "-node-exporter").id, ne_before.id);
}

TEST(CoreE2E, DownKeepsVolumesUnlessAsked) {
  StackDir dir("e2e-core-c");
  Ports p{29092, 29102, 29323};
  dir.write("rules/demo.yml", kRules);
  dir.write("stack.yaml", manifest(dir.stack(), p));
  ASSERT_EQ(run_stackd("apply -f " + dir.manifest()).exit_code, 0);
  auto down = run_stackd("down -f " + dir.manifest());
  ASSERT_EQ(down.exit_code, 0) << down.output;
  EXPECT_FALSE(container_exists(dir.stack() + "-prometheus"));
  EXPECT_FALSE(container_exists(dir.stack() + "-node-exporter"));
  EXPECT_TRUE(volume_exists(dir.stack() + "-prometheus-data"));

  ASSERT_EQ(run_stackd("apply -f " + dir.manifest()).exit_code, 0);
  auto down_all = run_stackd("down --volumes -f " + dir.manifest());
  ASSERT_EQ(down_all.exit_code, 0) << down_all.output;
  EXPECT_FALSE(container_exists(dir.stack() + "-prometheus"));
  EXPECT_FALSE(volume_exists(dir.stack() + "-prometheus-data"));
}

TEST(CoreE2E, ForeignContainerWithTheNameIsReportedAndLeftAlone) {
  StackDir dir("e2e-core-d");
  Ports p{29093, 29103, 29324};
  dir.write("rules/demo.yml", kRules);
  dir.write("stack.yaml", manifest(dir.stack(), p));
  std::string name = dir.stack() + "-node-exporter";
  sh("docker rm -f " + name);  // a leftover of an interrupted earlier run
  auto run = sh("docker run -d --name " + name +
                " --network host stackd-test/node-exporter:1.5 --web.listen-address=127.0.0.1:29203");
  ASSERT_EQ(run.exit_code, 0) << run.output;
  auto foreign = snap(name);

  auto apply = run_stackd("apply -f " + dir.manifest());
  EXPECT_EQ(apply.exit_code, 1) << apply.output;
  EXPECT_NE(apply.output.find("container " + name + " (id " + foreign.id.substr(0, 12) + ")"), std::string::npos)
      << apply.output;
  // Left alone: same container, still running, still unlabelled.
  EXPECT_EQ(snap(name).id, foreign.id);
  EXPECT_EQ(snap(name).started_at, foreign.started_at);
  EXPECT_EQ(inspect(name, "{{.State.Running}}"), "true");
  EXPECT_EQ(inspect(name, "{{index .Config.Labels \"dev.stackd.managed-by\"}}"), "");
  // The rest of the stack still converged.
  EXPECT_EQ(inspect(dir.stack() + "-prometheus", "{{.State.Running}}"), "true");
  // down does not touch it either.
  ASSERT_EQ(run_stackd("down -f " + dir.manifest()).exit_code, 0);
  EXPECT_EQ(snap(name).id, foreign.id);
  sh("docker rm -f " + name);
}

TEST(CoreE2E, InvalidManifestOrFailedPullChangesNothing) {
  StackDir dir("e2e-core-e");
  Ports p{29094, 29104, 29325};
  dir.write("rules/demo.yml", kRules);
  dir.write("stack.yaml", manifest(dir.stack(), p));
  ASSERT_EQ(run_stackd("apply -f " + dir.manifest()).exit_code, 0);
  auto prom = snap(dir.stack() + "-prometheus");
  auto ne = snap(dir.stack() + "-node-exporter");

  // Invalid: unknown field and a bad duration, all reported with positions.
  dir.write("stack.yaml", manifest(dir.stack(), p, "    retension: 15d\n    retentionSize: lots\n"));
  auto bad = run_stackd("apply -f " + dir.manifest());
  EXPECT_EQ(bad.exit_code, 2) << bad.output;
  EXPECT_NE(bad.output.find("stack.yaml:15:5: unknown field 'retension'"), std::string::npos) << bad.output;
  EXPECT_NE(bad.output.find("stack.yaml:16:20: spec.prometheus.retentionSize: invalid size 'lots'"), std::string::npos)
      << bad.output;
  EXPECT_NE(bad.output.find("nothing was changed"), std::string::npos) << bad.output;
  auto validate = run_stackd("validate -f " + dir.manifest());
  EXPECT_EQ(validate.exit_code, 2);
  EXPECT_EQ(snap(dir.stack() + "-prometheus").id, prom.id);
  EXPECT_EQ(snap(dir.stack() + "-prometheus").started_at, prom.started_at);
  EXPECT_EQ(snap(dir.stack() + "-node-exporter").id, ne.id);

  // An image that cannot be pulled (nothing listens on 127.0.0.1:1): a clear
  // error naming the image; the running Prometheus is untouched.
  dir.write("stack.yaml", manifest(dir.stack(), p, "", "127.0.0.1:1/nothing/prometheus:9.9"));
  auto pull = run_stackd("apply -f " + dir.manifest());
  EXPECT_EQ(pull.exit_code, 1) << pull.output;
  EXPECT_NE(pull.output.find("pull image 127.0.0.1:1/nothing/prometheus:9.9"), std::string::npos) << pull.output;
  EXPECT_EQ(snap(dir.stack() + "-prometheus").id, prom.id);
  EXPECT_EQ(inspect(dir.stack() + "-prometheus", "{{.State.Running}}"), "true");

  // A broken rule: validate names the user's file with line:col (promtool's
  // own message); apply refuses it inside the running Prometheus, which keeps
  // serving the old rules without a restart.
  dir.write("stack.yaml", manifest(dir.stack(), p));
  auto broken = dir.write("rules/broken.yml", "groups:\n  - name: x\n    rules:\n      - alert: A\n        expr: sum(up\n");
  auto check = run_stackd("validate -f " + dir.manifest());
  EXPECT_EQ(check.exit_code, 2) << check.output;
  EXPECT_NE(check.output.find("rules/broken.yml:5:15: group \"x\", rule 1, \"A\": could not parse expression"),
            std::string::npos)
      << check.output;
  ASSERT_TRUE(eventually([&] { return http_get(p.prometheus, "/-/ready").find("Ready") != std::string::npos; }));
  auto refused = run_stackd("apply -f " + dir.manifest());
  EXPECT_EQ(refused.exit_code, 1) << refused.output;
  // promtool in the container, told in the user's file, not the container's.
  EXPECT_NE(refused.output.find("rules/broken.yml:5:15: group \"x\", rule 1, \"A\": could not parse expression"),
            std::string::npos)
      << refused.output;
  EXPECT_NE(refused.output.find("unclosed left parenthesis"), std::string::npos) << refused.output;
  EXPECT_EQ(refused.output.find("/etc/prometheus/stackd"), std::string::npos) << refused.output;
  EXPECT_NE(http_get(p.prometheus, "/api/v1/rules").find("demo:up:sum"), std::string::npos);
  EXPECT_EQ(snap(dir.stack() + "-prometheus").id, prom.id);
  EXPECT_EQ(snap(dir.stack() + "-prometheus").started_at, prom.started_at);
}

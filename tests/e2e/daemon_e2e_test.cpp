// Issue 3 end to end: `stackd run` against a real engine.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <signal.h>
#include <sys/wait.h>

#include <fstream>
#include <sstream>
#include <thread>

#include "tests/e2e/e2e_support.hpp"

using namespace stackd::e2e;
using namespace std::chrono_literals;

namespace {

constexpr int kProm = 29290, kNode = 29291, kApi = 29299;

std::string manifest(const std::string& stack, const std::string& node_args = "[]") {
  return "apiVersion: stackd.dev/v1alpha1\nkind: MonitoringStack\nmetadata:\n  name: " + stack +
         "\nspec:\n  network: host\n  stackd:\n    port: " + std::to_string(kApi) +
         "\n  prometheus:\n    image: stackd-test/prometheus:2.42\n    port: " + std::to_string(kProm) +
         "\n    scrapeInterval: 1s\n    rules: [rules.yml]\n  nodeExporter:\n    image: stackd-test/node-exporter:1.5\n    port: " +
         std::to_string(kNode) + "\n    args: " + node_args + "\n";
}

// The daemon as a real process, stopped by pid.
class Daemon {
 public:
  explicit Daemon(const StackDir& dir) : log_(dir.write("daemon.log", "")) {
    auto r = sh(std::string("nohup ") + stackd_bin() + " run --resync 30s -f " + dir.manifest() + " >" + log_ +
                " 2>&1 & echo $!");
    pid_ = std::stoi(r.output);
  }
  ~Daemon() {
    if (pid_ > 0) {
      ::kill(pid_, SIGKILL);
      sh("while kill -0 " + std::to_string(pid_) + " 2>/dev/null; do sleep 0.05; done");
    }
  }
  int pid() const { return pid_; }
  std::string log() const {
    std::ifstream in(log_);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
  }
  bool ready() const { return http_get(kApi, "/readyz").find("ok") != std::string::npos; }
  nlohmann::json status() const { return nlohmann::json::parse(http_get(kApi, "/status"), nullptr, false); }
  // Sends a signal and waits for exit; returns the seconds it took, or -1.
  double stop(int signal) {
    auto t0 = std::chrono::steady_clock::now();
    ::kill(pid_, signal);
    bool gone = eventually([&] { return ::kill(pid_, 0) != 0; }, 10s);
    if (gone) pid_ = -1;
    return gone ? std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count() : -1;
  }

 private:
  static std::string stackd_bin() {
    const char* b = std::getenv("STACKD_BIN");
    return b && *b ? b : STACKD_E2E_BIN;
  }
  std::string log_;
  int pid_ = -1;
};

std::string condition(const nlohmann::json& status, const std::string& type, const char* field) {
  if (!status.is_object() || !status.contains("conditions")) return "";
  for (const auto& c : status["conditions"])
    if (c.value("type", "") == type) return c.value(field, "");
  return "";
}

bool running_with_spec(const std::string& name, const std::string& hash) {
  return inspect(name, "{{.State.Running}}") == "true" &&
         inspect(name, "{{index .Config.Labels \"dev.stackd.spec-hash\"}}") == hash;
}

}  // namespace

TEST(DaemonE2E, RepairsDriftEditsAndSurvivesTheEngineRestarting) {
  StackDir dir("e2e-daemon");
  dir.write("rules.yml", "groups:\n  - name: a\n    rules:\n      - record: first:up\n        expr: sum(up)\n");
  dir.write("stack.yaml", manifest(dir.stack()));
  Daemon daemon(dir);
  ASSERT_TRUE(eventually([&] { return daemon.ready(); }, 60s)) << daemon.log();
  const std::string prom = dir.stack() + "-prometheus", node = dir.stack() + "-node-exporter";
  auto prom_hash = inspect(prom, "{{index .Config.Labels \"dev.stackd.spec-hash\"}}");
  auto node_hash = inspect(node, "{{index .Config.Labels \"dev.stackd.spec-hash\"}}");
  ASSERT_EQ(prom_hash.size(), 64u);

  // Removed, stopped, killed: each comes back with the desired spec.
  for (const auto& [name, hash] : {std::pair{prom, prom_hash}, std::pair{node, node_hash}}) {
    for (const char* how : {"rm -f", "stop", "kill"}) {
      auto before = inspect(name, "{{.Id}}") + inspect(name, "{{.State.StartedAt}}");
      ASSERT_EQ(sh(std::string("docker ") + how + " " + name).exit_code, 0);
      EXPECT_TRUE(eventually([&] {
        return running_with_spec(name, hash) && inspect(name, "{{.Id}}") + inspect(name, "{{.State.StartedAt}}") != before;
      }, 10s)) << how << " " << name << "\n" << daemon.log();
    }
  }
  // Two removals repaired by creating; stops (and kills the engine's restart
  // policy did not undo) repaired by starting.
  EXPECT_GE(metric_value(http_get(kApi, "/metrics"), "stackd_drift_repairs_total{kind=\"container_created\"}"), 2)
      << http_get(kApi, "/metrics") << daemon.log();
  EXPECT_GE(metric_value(http_get(kApi, "/metrics"), "stackd_drift_repairs_total{kind=\"container_started\"}"), 2);
  // promtool accepts the exposition.
  auto check = sh("curl -sf http://127.0.0.1:" + std::to_string(kApi) + "/metrics | promtool check metrics");
  EXPECT_EQ(check.exit_code, 0) << check.output;

  // Prometheus scrapes node-exporter and stackd itself.
  for (const char* job : {"node-exporter", "stackd"})
    EXPECT_TRUE(eventually([&] {
      return http_get(kProm, std::string("/api/v1/query?query=up%7Bjob%3D%22") + job + "%22%7D").find("\"1\"]") !=
             std::string::npos;
    }, 20s)) << job << " is not scraped: " << http_get(kProm, "/api/v1/targets");

  // A rule file edit is hot-reloaded: active in Prometheus, no restart.
  auto prom_started_before_rules = inspect(prom, "{{.State.StartedAt}}");
  dir.write("rules.yml", "groups:\n  - name: a\n    rules:\n      - record: second:up\n        expr: sum(up)\n");
  EXPECT_TRUE(eventually([&] { return http_get(kProm, "/api/v1/rules").find("second:up") != std::string::npos; }, 10s))
      << daemon.log();
  EXPECT_EQ(http_get(kProm, "/api/v1/rules").find("first:up"), std::string::npos);
  EXPECT_EQ(inspect(prom, "{{.State.StartedAt}}"), prom_started_before_rules);
  // A broken rule never reaches Prometheus: rejected with promtool's message, old rules still served.
  dir.write("rules.yml", "groups:\n  - name: a\n    rules:\n      - record: third:up\n        expr: sum(up\n");
  EXPECT_TRUE(eventually([&] { return daemon.log().find("promtool") != std::string::npos; }, 10s)) << daemon.log();
  EXPECT_NE(http_get(kProm, "/api/v1/rules").find("second:up"), std::string::npos);
  EXPECT_EQ(inspect(prom, "{{.State.StartedAt}}"), prom_started_before_rules);
  dir.write("rules.yml", "groups:\n  - name: a\n    rules:\n      - record: second:up\n        expr: sum(up)\n");

  // Edited in place: node-exporter follows, Prometheus is untouched.
  auto prom_id = inspect(prom, "{{.Id}}");
  dir.write("stack.yaml", manifest(dir.stack(), "[\"--collector.disable-defaults\", \"--collector.cpu\"]"));
  EXPECT_TRUE(eventually([&] { return inspect(node, "{{json .Args}}").find("--collector.cpu") != std::string::npos; }, 10s))
      << daemon.log();
  EXPECT_TRUE(eventually([&] { return inspect(node, "{{.State.Running}}") == "true"; }, 10s));
  // Edited by rename, as editors save.
  auto tmp = dir.write("stack.yaml.tmp", manifest(dir.stack(), "[\"--collector.disable-defaults\", \"--collector.meminfo\"]"));
  ASSERT_EQ(sh("mv " + tmp + " " + dir.manifest()).exit_code, 0);
  EXPECT_TRUE(eventually([&] { return inspect(node, "{{json .Args}}").find("--collector.meminfo") != std::string::npos; }, 10s))
      << daemon.log();
  EXPECT_EQ(inspect(prom, "{{.Id}}"), prom_id);

  // An invalid edit is reported with its position; the last good state stays.
  auto node_id = inspect(node, "{{.Id}}");
  dir.write("stack.yaml", manifest(dir.stack()) + "  bogus: 1\n");
  EXPECT_TRUE(eventually([&] { return condition(daemon.status(), "Degraded", "reason") == "ManifestInvalid"; }, 10s))
      << daemon.log();
  EXPECT_NE(condition(daemon.status(), "Degraded", "message").find("stack.yaml:18:3: unknown field 'bogus'"),
            std::string::npos)
      << daemon.status().dump();
  std::this_thread::sleep_for(1s);
  EXPECT_EQ(inspect(node, "{{.Id}}"), node_id);
  ASSERT_EQ(sh("docker rm -f " + node).exit_code, 0);  // the last good spec is still enforced
  EXPECT_TRUE(eventually([&] { return inspect(node, "{{json .Args}}").find("--collector.meminfo") != std::string::npos; }, 10s));
  // The next valid edit is applied.
  dir.write("stack.yaml", manifest(dir.stack()));
  EXPECT_TRUE(eventually([&] { return running_with_spec(node, node_hash); }, 10s)) << daemon.log();
  EXPECT_TRUE(eventually([&] { return condition(daemon.status(), "Degraded", "status") == "False"; }, 10s));

  // A foreign container takes the name while the daemon is frozen: reported, untouched.
  ::kill(daemon.pid(), SIGSTOP);
  sh("docker rm -f " + node);
  auto foreign = sh("docker run -d --name " + node + " --network host stackd-test/node-exporter:1.5 --web.listen-address=127.0.0.1:29298");
  ::kill(daemon.pid(), SIGCONT);
  ASSERT_EQ(foreign.exit_code, 0) << foreign.output;
  auto foreign_id = inspect(node, "{{.Id}}");
  EXPECT_TRUE(eventually([&] { return condition(daemon.status(), "Degraded", "reason") == "NameConflict"; }, 10s))
      << daemon.status().dump() << daemon.log();
  std::this_thread::sleep_for(2s);
  EXPECT_EQ(inspect(node, "{{.Id}}"), foreign_id);
  EXPECT_EQ(inspect(node, "{{.State.Running}}"), "true");
  sh("docker rm -f " + node);
  EXPECT_TRUE(eventually([&] { return running_with_spec(node, node_hash); }, 30s)) << daemon.log();

  // The engine restarts under the daemon: it reconnects, re-lists, repairs.
  auto engine_dir = std::string(STACKD_E2E_DOCKER_HOST).substr(7);  // unix://DIR/d.sock
  engine_dir = engine_dir.substr(0, engine_dir.rfind('/'));
  if (!std::getenv("STACKD_TEST_DOCKER_HOST")) {
    ASSERT_EQ(sh(source_dir() + "/scripts/test-engine.sh stop " + engine_dir).exit_code, 0);
    ASSERT_EQ(sh(source_dir() + "/scripts/test-engine.sh start " + engine_dir).exit_code, 0);
    sh("docker rm -f " + prom);  // a change made while... the stream was down or just back
    EXPECT_TRUE(eventually([&] { return running_with_spec(prom, prom_hash); }, 60s)) << daemon.log();
    EXPECT_TRUE(eventually([&] { return running_with_spec(node, node_hash); }, 60s)) << daemon.log();
    EXPECT_GE(metric_value(http_get(kApi, "/metrics"), "stackd_docker_event_stream_reconnects_total"), 1);
  }

  // A container that keeps crashing is retried with backoff and reported, not hot-looped.
  auto errors_before = metric_value(http_get(kApi, "/metrics"), "stackd_reconcile_total{reconciler=\"container\",result=\"error\"}");
  dir.write("stack.yaml", manifest(dir.stack(), "[\"--no-such-flag\"]"));
  EXPECT_TRUE(eventually([&] { return condition(daemon.status(), "Degraded", "reason") == "ReconcileError"; }, 20s))
      << daemon.status().dump() << daemon.log();
  std::this_thread::sleep_for(8s);
  auto errors_after = metric_value(http_get(kApi, "/metrics"), "stackd_reconcile_total{reconciler=\"container\",result=\"error\"}");
  EXPECT_GE(errors_after - errors_before, 2) << "the crash is retried";
  EXPECT_LE(errors_after - errors_before, 8) << "backoff, not a hot loop";
  EXPECT_NE(daemon.status().dump().find("node-exporter"), std::string::npos);
  dir.write("stack.yaml", manifest(dir.stack()));
  EXPECT_TRUE(eventually([&] { return running_with_spec(node, node_hash); }, 60s)) << daemon.log();

  // SIGTERM: exits promptly, leaves the stack running.
  auto prom_started = inspect(prom, "{{.State.StartedAt}}");
  auto took = daemon.stop(SIGTERM);
  EXPECT_GE(took, 0) << "daemon did not exit after SIGTERM";
  EXPECT_LT(took, 6.0);
  EXPECT_EQ(inspect(prom, "{{.State.Running}}"), "true");
  EXPECT_EQ(inspect(prom, "{{.State.StartedAt}}"), prom_started);
  EXPECT_EQ(inspect(node, "{{.State.Running}}"), "true");
}

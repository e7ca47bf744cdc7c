// Alerts that reach a person, end to end on the real engine: the
// stack's real Prometheus (Debian's 2.42) evaluates the rules, the stack's
// real Alertmanager (Debian's 0.25, with its amtool) routes them, and the
// receivers are processes this test runs on 127.0.0.1 (tests/e2e/
// alert_receivers.py: webhooks and a small SMTP server). The test looks at
// what the receivers got, what Alertmanager has loaded (/api/v2/status) and
// what Docker holds, never at which calls stackd made.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <signal.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "tests/e2e/e2e_support.hpp"

using namespace stackd::e2e;
using namespace std::chrono_literals;
namespace fs = std::filesystem;

namespace {

// Ports of this suite only (29725-29799; 29710-29715 belong to another suite).
constexpr int kProm = 29790, kAm = 29793, kExporter = 29735, kOllama = 29741, kApi = 29799;
constexpr int kOps = 29751, kPager = 29752, kSmtp = 29725;

std::string read_file(const fs::path& p) {
  std::ifstream in(p);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::string receivers_script() { return source_dir() + "/tests/e2e/alert_receivers.py"; }

// Every firing alert a webhook receiver got, from its `skip`-th notification
// on: {alertname -> labels}. Resolved ones are left out.
std::map<std::string, nlohmann::json> alerts_in(const fs::path& file, std::size_t skip = 0) {
  std::map<std::string, nlohmann::json> out;
  std::istringstream lines(read_file(file));
  std::size_t n = 0;
  for (std::string line; std::getline(lines, line); ++n) {
    if (n < skip) continue;
    auto j = nlohmann::json::parse(line, nullptr, false);
    if (j.is_discarded() || !j.contains("alerts")) continue;
    for (const auto& a : j["alerts"])
      if (a.value("status", "") == "firing") out[a["labels"].value("alertname", "")] = a["labels"];
  }
  return out;
}

std::size_t notifications_in(const fs::path& file) {
  auto text = read_file(file);
  return static_cast<std::size_t>(std::count(text.begin(), text.end(), '\n'));
}

// What Prometheus says about an alert now: "firing", "pending" or "" (inactive).
std::string prometheus_alert_state(const std::string& alertname) {
  auto j = nlohmann::json::parse(http_get(kProm, "/api/v1/alerts"), nullptr, false);
  if (!j.is_object() || !j.contains("data")) return "?";
  for (const auto& a : j["data"]["alerts"])
    if (a["labels"].value("alertname", "") == alertname) return a.value("state", "?");
  return "";
}

std::string am_config() {
  auto j = nlohmann::json::parse(http_get(kAm, "/api/v2/status"), nullptr, false);
  return j.is_object() && j.contains("config") ? j["config"].value("original", "") : "";
}

const std::string kTestRules =
    "groups:\n- name: e2e\n  rules:\n"
    "  - alert: E2EWarning\n    expr: vector(1)\n    labels: {severity: warning, origin: e2e}\n"
    "    annotations: {summary: always firing}\n"
    "  - alert: E2ECritical\n    expr: vector(1)\n    labels: {severity: critical}\n"
    "  - alert: E2EInfo\n    expr: vector(1)\n    labels: {severity: info}\n";

}  // namespace

TEST(AlertmanagerE2E, AlertsReachTheirReceiversThroughTheStacksPrometheusAndAlertmanager) {
  StackDir dir("e2e-alerts");
  const auto base = fs::path(dir.manifest()).parent_path();
  dir.write("prometheus/alerts.yml", read_file(fs::path(source_dir()) / "manifests/prometheus/alerts.yml"));
  dir.write("prometheus/e2e.yml", kTestRules);
  const std::string password = "smtp-pw-" + std::to_string(::getpid()) + "-from-file";
  dir.write("secrets/smtp-password", password + "\n");
  dir.write("stack.yaml",
            "apiVersion: stackd.dev/v1alpha1\nkind: MonitoringStack\nmetadata: {name: " + dir.stack() + "}\nspec:\n"
            "  network: host\n  stackd: {port: " + std::to_string(kApi) + "}\n"
            "  prometheus:\n    image: stackd-test/prometheus:2.42\n    port: " + std::to_string(kProm) +
            "\n    scrapeInterval: 1s\n    rules: [prometheus/alerts.yml, prometheus/e2e.yml]\n"
            "  ollama:\n    url: http://127.0.0.1:" + std::to_string(kOllama) +
            "\n    exporter: {image: stackd-test/stackd:e2e, port: " + std::to_string(kExporter) + "}\n"
            "  alertmanager:\n    image: stackd-test/alertmanager:0.25\n    port: " + std::to_string(kAm) + "\n"
            "    route: {groupWait: 1s, groupInterval: 1s, repeatInterval: 1h}\n"
            "    receivers:\n"
            "      - name: ops\n        webhook: {url: 'http://127.0.0.1:" + std::to_string(kOps) + "/alerts'}\n"
            "      - name: pager\n        webhook: {url: 'http://127.0.0.1:" + std::to_string(kPager) + "/alerts'}\n"
            "      - name: mail\n        email: {to: ops@example.org, from: stackd@example.org, smarthost: '127.0.0.1:" +
                std::to_string(kSmtp) + "',\n                username: stackd, passwordFile: secrets/smtp-password, requireTls: false}\n"
            "    routes:\n"
            "      - {matchers: ['severity=\"critical\"'], receiver: pager}\n"
            "      - {matchers: ['severity=\"info\"'], receiver: mail}\n"
            "  alerts:\n    ollamaDown: {for: 1s}\n");

  const auto ops = base / "ops.jsonl", pager = base / "pager.jsonl", mail = base / "mail.jsonl";
  BackgroundProcess ops_hook("python3 " + receivers_script() + " webhook " + std::to_string(kOps) + " " + ops.string(), dir.write("ops.log", ""));
  BackgroundProcess pager_hook("python3 " + receivers_script() + " webhook " + std::to_string(kPager) + " " + pager.string(), dir.write("pager.log", ""));
  BackgroundProcess smtp("python3 " + receivers_script() + " smtp " + std::to_string(kSmtp) + " " + mail.string(), dir.write("smtp.log", ""));
  BackgroundProcess ollama("env OLLAMA_HOST=127.0.0.1:" + std::to_string(kOllama) + " " + STACKD_E2E_FAKE_OLLAMA, dir.write("ollama.log", ""));

  auto applied = run_stackd("apply -f " + dir.manifest());
  ASSERT_EQ(applied.exit_code, 0) << applied.output;
  const std::string am = dir.stack() + "-alertmanager";
  EXPECT_EQ(inspect(am, "{{.State.Running}}"), "true");
  // Silences and the notification log live in the named data volume.
  EXPECT_NE(inspect(am, "{{json .Mounts}}").find(dir.stack() + "-alertmanager-data"), std::string::npos);
  // The secret never reaches docker inspect or the config Alertmanager shows.
  EXPECT_EQ(inspect(am, "{{json .}}").find(password), std::string::npos);
  ASSERT_TRUE(eventually([] { return !am_config().empty(); }, 30s));
  EXPECT_EQ(am_config().find(password), std::string::npos);
  EXPECT_NE(am_config().find("auth_password_file"), std::string::npos) << am_config();
  // Nor what stackd prints: apply's output, diff, and Alertmanager's own log.
  EXPECT_EQ(applied.output.find(password), std::string::npos);
  auto diff = run_stackd("diff -f " + dir.manifest());
  EXPECT_EQ(diff.output.find(password), std::string::npos) << diff.output;
  EXPECT_EQ(sh("docker logs " + am + " 2>&1").output.find(password), std::string::npos);

  // A warning goes to the default receiver with its labels; a critical to the
  // pager only (first match wins); an info by email.
  ASSERT_TRUE(eventually([&] { return alerts_in(ops).count("E2EWarning"); }, 90s))
      << read_file(ops) << sh("docker logs " + am + " 2>&1 | tail -20").output;
  auto warning = alerts_in(ops)["E2EWarning"];
  EXPECT_EQ(warning.value("severity", ""), "warning");
  EXPECT_EQ(warning.value("origin", ""), "e2e");
  ASSERT_TRUE(eventually([&] { return alerts_in(pager).count("E2ECritical"); }, 60s)) << read_file(pager);
  EXPECT_FALSE(alerts_in(ops).count("E2ECritical")) << read_file(ops);
  EXPECT_FALSE(alerts_in(pager).count("E2EWarning")) << read_file(pager);

  // The email: AUTH with the password read from its file (its newline dropped).
  ASSERT_TRUE(eventually([&] { return read_file(mail).find("E2EInfo") != std::string::npos; }, 60s))
      << read_file(mail) << sh("docker logs " + am + " 2>&1 | tail -20").output;
  auto message = nlohmann::json::parse(read_file(mail).substr(0, read_file(mail).find('\n')));
  EXPECT_EQ(message.value("auth_user", ""), "stackd");
  EXPECT_EQ(message.value("auth_password", ""), password);
  EXPECT_NE(message["rcpt"].dump().find("ops@example.org"), std::string::npos) << message.dump();

  // Ollama stops: OllamaDown (critical) fires and reaches the pager. Until
  // the exporter's first scrape, absent(ollama_up) may have fired it briefly,
  // so start from a Prometheus that sees Ollama up and the alert inactive,
  // and look only at notifications that arrive after the stop.
  ASSERT_TRUE(eventually([&] {
    return metric_value(http_get(kExporter, "/metrics"), "ollama_up") == 1 && prometheus_alert_state("OllamaDown").empty();
  }, 60s)) << http_get(kProm, "/api/v1/alerts");
  const auto before_stop = notifications_in(pager);
  ollama.stop();
  ASSERT_TRUE(eventually([&] { return alerts_in(pager, before_stop).count("OllamaDown"); }, 120s))
      << read_file(pager) << http_get(kProm, "/api/v1/alerts");
  EXPECT_EQ(alerts_in(pager, before_stop)["OllamaDown"].value("severity", ""), "critical");
  EXPECT_FALSE(alerts_in(ops, 0).count("OllamaDown")) << read_file(ops);
}

TEST(AlertmanagerE2E, InvalidReceiverConfigIsRejectedAndAnEditIsAReloadWithoutRestart) {
  StackDir dir("e2e-am-reload");
  auto manifest = [&](const std::string& receiver, const std::string& group_wait) {
    dir.write("stack.yaml",
              "apiVersion: stackd.dev/v1alpha1\nkind: MonitoringStack\nmetadata: {name: " + dir.stack() + "}\nspec:\n"
              "  network: host\n  stackd: {port: " + std::to_string(kApi) + "}\n"
              "  alertmanager:\n    image: stackd-test/alertmanager:0.25\n    port: " + std::to_string(kAm) + "\n"
              "    route: {groupWait: " + group_wait + "}\n"
              "    receivers:\n      - name: ops\n        webhook: " + receiver + "\n");
  };
  manifest("{url: 'http://127.0.0.1:" + std::to_string(kOps) + "/first'}", "30s");
  auto first = run_stackd("apply -f " + dir.manifest());
  ASSERT_EQ(first.exit_code, 0) << first.output;
  const std::string am = dir.stack() + "-alertmanager";
  const auto started = inspect(am, "{{.State.StartedAt}}");
  ASSERT_FALSE(started.empty());
  ASSERT_TRUE(eventually([] { return am_config().find("/first") != std::string::npos; }, 30s)) << am_config();

  // urlFile renders webhook url_file, which Alertmanager 0.25 does not know:
  // amtool inside the container rejects it before it goes live.
  dir.write("secrets/hook", "http://127.0.0.1:" + std::to_string(kOps) + "/secret-token");
  manifest("{urlFile: secrets/hook}", "30s");
  auto rejected = run_stackd("apply -f " + dir.manifest());
  EXPECT_NE(rejected.exit_code, 0) << rejected.output;
  EXPECT_NE(rejected.output.find("amtool check-config"), std::string::npos) << rejected.output;
  EXPECT_EQ(rejected.output.find("secret-token"), std::string::npos) << rejected.output;
  // The running Alertmanager keeps its last good config, and was not restarted.
  EXPECT_NE(am_config().find("/first"), std::string::npos) << am_config();
  EXPECT_EQ(inspect(am, "{{.State.StartedAt}}"), started);
  EXPECT_EQ(sh("docker exec " + am + " /bin/amtool check-config /etc/alertmanager/stackd/alertmanager.yml").exit_code, 0);

  // A valid edit: `diff` calls it a reload, apply reloads it, same StartedAt.
  manifest("{url: 'http://127.0.0.1:" + std::to_string(kOps) + "/second'}", "7s");
  auto diff = run_stackd("diff -f " + dir.manifest());
  EXPECT_NE(diff.output.find("reload"), std::string::npos) << diff.output;
  EXPECT_EQ(diff.output.find("recreate"), std::string::npos) << diff.output;
  auto edited = run_stackd("apply -f " + dir.manifest());
  ASSERT_EQ(edited.exit_code, 0) << edited.output;
  ASSERT_TRUE(eventually([] { return am_config().find("/second") != std::string::npos; }, 30s)) << am_config();
  EXPECT_NE(am_config().find("group_wait: 7s"), std::string::npos) << am_config();
  EXPECT_EQ(inspect(am, "{{.State.StartedAt}}"), started);
  auto metrics = http_get(kAm, "/metrics");
  EXPECT_EQ(metric_value(metrics, "alertmanager_config_last_reload_successful"), 1) << metrics;
}

TEST(AlertmanagerE2E, ValidateRejectsARawConfigNamingAMissingReceiverAndWarnsAboutATakenPort) {
  StackDir dir("e2e-am-validate");
  dir.write("alertmanager/custom.yml",
            "route:\n  receiver: ops\n  routes:\n    - matchers: ['severity=\"critical\"']\n      receiver: pager\n"
            "receivers:\n  - name: ops\n    webhook_configs:\n      - url: http://127.0.0.1:5001/alerts\n");
  auto manifest = [&](int port) {
    dir.write("stack.yaml", "apiVersion: stackd.dev/v1alpha1\nkind: MonitoringStack\nmetadata: {name: " + dir.stack() +
                                "}\nspec:\n  network: host\n  stackd: {port: " + std::to_string(kApi) + "}\n"
                                "  alertmanager:\n    image: stackd-test/alertmanager:0.25\n    port: " +
                                std::to_string(port) + "\n    configFile: alertmanager/custom.yml\n");
  };
  manifest(kAm);
  auto r = run_stackd("validate -f " + dir.manifest());
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_NE(r.output.find("alertmanager/custom.yml:5:17: undefined receiver \"pager\" used in route"),
            std::string::npos)
      << r.output;
  EXPECT_NE(r.output.find("amtool rejects the Alertmanager configuration"), std::string::npos)
      << "Debian's amtool: " << r.output;

  // A valid config on a port another process holds: a warning, exit 0.
  dir.write("alertmanager/custom.yml", "route:\n  receiver: ops\nreceivers:\n  - name: ops\n");
  constexpr int kTaken = 29794;
  BackgroundProcess holder("python3 -m http.server " + std::to_string(kTaken) + " --bind 127.0.0.1", dir.write("holder.log", ""));
  ASSERT_TRUE(eventually([&] { return sh("curl -s -o /dev/null http://127.0.0.1:" + std::to_string(kTaken)).exit_code == 0; },
                         10s));
  manifest(kTaken);
  r = run_stackd("validate -f " + dir.manifest());
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("warning: " + dir.manifest() + ": spec.alertmanager.port: 127.0.0.1:" +
                          std::to_string(kTaken) + " is already in use by another process"),
            std::string::npos)
      << r.output;
  EXPECT_FALSE(container_exists(dir.stack() + "-alertmanager")) << "validate changes nothing";
}

// apply judges a raw config with the amtool of the image Alertmanager will
// run, before the container exists: a route naming a missing receiver is
// exit 1 at file:line:col, no Alertmanager container is created (so none
// crash-loops) and the check's own container is gone; the fixed file is
// applied and runs.
TEST(AlertmanagerE2E, ApplyRefusesARawConfigTheImagesAmtoolRejectsBeforeCreatingTheContainer) {
  StackDir dir("e2e-am-create-check");
  dir.write("alertmanager/custom.yml",
            "route:\n  receiver: ops\n  routes:\n    - matchers: ['severity=\"critical\"']\n      receiver: pager\n"
            "receivers:\n  - name: ops\n    webhook_configs:\n      - url: http://127.0.0.1:5001/alerts\n");
  dir.write("stack.yaml", "apiVersion: stackd.dev/v1alpha1\nkind: MonitoringStack\nmetadata: {name: " + dir.stack() +
                              "}\nspec:\n  network: host\n  stackd: {port: " + std::to_string(kApi) + "}\n"
                              "  nodeExporter:\n    image: stackd-test/node-exporter:1.5\n    port: 29795\n"
                              "  alertmanager:\n    image: stackd-test/alertmanager:0.25\n    port: " +
                              std::to_string(kAm) + "\n    configFile: alertmanager/custom.yml\n");
  const std::string am = dir.stack() + "-alertmanager";
  // Everything of the stack the engine holds: containers, volumes, networks.
  auto stack_objects = [&] {
    const std::string filter = " --filter label=dev.stackd.stack=" + dir.stack();
    return sh("docker ps -aq" + filter + "; docker volume ls -q" + filter + "; docker network ls -q" + filter).output;
  };

  auto r = run_stackd("apply -f " + dir.manifest());
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_NE(r.output.find("alertmanager/custom.yml:5:17: undefined receiver \"pager\" used in route"),
            std::string::npos)
      << r.output;
  EXPECT_NE(r.output.find("amtool check-config in stackd-test/alertmanager:0.25 rejects the Alertmanager "
                          "configuration; its container was not created"),
            std::string::npos)
      << r.output;
  EXPECT_FALSE(container_exists(am)) << "a config amtool refuses never reaches a container";
  EXPECT_EQ(stack_objects(), "") << "nothing changes: no other component, volume or network, and no check container";

  const std::string fixed = "route:\n  receiver: ops\nreceivers:\n  - name: ops\n    webhook_configs:\n"
                            "      - url: http://127.0.0.1:5001/alerts\n";
  dir.write("alertmanager/custom.yml", fixed);
  r = run_stackd("apply --wait -f " + dir.manifest());
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_EQ(inspect(am, "{{.State.Status}}"), "running");
  EXPECT_EQ(inspect(am, "{{.RestartCount}}"), "0");
  EXPECT_EQ(inspect(dir.stack() + "-node-exporter", "{{.State.Status}}"), "running");
  EXPECT_EQ(sh("docker cp " + am + ":/etc/alertmanager/stackd/alertmanager.yml - | tar -xO").output, fixed);
  EXPECT_FALSE(container_exists(am + "-config-check"));
}

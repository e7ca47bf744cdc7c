// What `stackd apply` says is true (issue "apply, down, run and status say
// what is true"), on the real engine with the Grafana fake: it waits for a
// Grafana that takes seconds to start; it fails, naming it, for a container
// that does not run, and before anything changes for a rule file the image's
// promtool refuses; a second user or state directory finds the stack's
// Grafana password (no failed login); an edit onto a taken port puts the
// previous container back; and `render` prints what apply creates.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "tests/e2e/e2e_support.hpp"

using namespace stackd::e2e;
using nlohmann::json;
namespace fs = std::filesystem;

namespace {

constexpr int kProm = 29821, kNode = 29822, kGrafana = 29823, kTaken = 29824, kApi = 29829;

std::string manifest(const std::string& stack, const std::string& node_extra = "", int node_port = kNode,
                     const std::string& grafana_env = "") {
  return "apiVersion: stackd.dev/v1alpha1\nkind: MonitoringStack\nmetadata: {name: " + stack +
         "}\nspec:\n  network: host\n  stackd: {port: " + std::to_string(kApi) +
         "}\n  prometheus: {image: stackd-test/prometheus:2.42, port: " + std::to_string(kProm) +
         "}\n  grafana:\n    image: stackd-test/grafana:fake\n    port: " + std::to_string(kGrafana) +
         "\n    dashboards: [{path: dashboards/*.json, folder: Truth}]\n" + grafana_env +
         "  nodeExporter:\n    image: stackd-test/node-exporter:1.5\n    port: " + std::to_string(node_port) + "\n" +
         node_extra;
}

// What the Grafana fake holds, as its admin sees it (the password from the
// Grafana container, where stackd keeps it).
std::string grafana_search(const std::string& stack) {
  const auto pw = sh("docker cp " + stack + "-grafana:/run/secrets/stackd/grafana-admin-password - | tar -xO").output;
  return sh("curl -s -u 'admin:" + pw + "' 'http://127.0.0.1:" + std::to_string(kGrafana) + "/api/search?query=Truth'")
      .output;
}

int failed_logins() {
  auto j = json::parse(http_get(kGrafana, "/fake/login-attempts"), nullptr, false);
  return j.is_object() ? j.value("total", -1) : -1;
}

// A listener on 127.0.0.1:port for as long as it lives: a port someone else holds.
class TakenPort {
 public:
  explicit TakenPort(int port) : fd_(::socket(AF_INET, SOCK_STREAM, 0)) {
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(static_cast<std::uint16_t>(port));
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    int one = 1;
    ::setsockopt(fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    bound_ = ::bind(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0 && ::listen(fd_, 1) == 0;
  }
  ~TakenPort() { ::close(fd_); }
  bool bound() const { return bound_; }

 private:
  int fd_;
  bool bound_ = false;
};

class ApplyTruthE2E : public ::testing::Test {
 protected:
  ApplyTruthE2E() : dir_("e2e-truth") {
    dir_.write("dashboards/a.json", R"({"uid":"truth-a","title":"Truth A","panels":[]})");
  }
  std::string state(const std::string& name) {
    const auto p = fs::temp_directory_path() / ("stackd-e2e-truth-" + name);
    fs::remove_all(p);
    return p.string();
  }
  StackDir dir_;
};

}  // namespace

// A first start of Grafana migrates its database before it listens: apply
// waits for it, says so, and pushes the dashboards; nothing says "retrying".
TEST_F(ApplyTruthE2E, AFirstApplyWaitsForAGrafanaThatTakesSecondsToStart) {
  dir_.write("stack.yaml", manifest(dir_.stack(), "", kNode, "    env: {FAKE_GRAFANA_STARTUP_DELAY_MS: '4000'}\n"));
  auto r = run_stackd("apply -f " + dir_.manifest() + " --state-dir " + state("a"));
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("waiting for Grafana at http://127.0.0.1:" + std::to_string(kGrafana) + " to answer"),
            std::string::npos)
      << r.output;
  EXPECT_EQ(r.output.find("retrying"), std::string::npos) << r.output;
  EXPECT_NE(grafana_search(dir_.stack()).find("truth-a"), std::string::npos) << grafana_search(dir_.stack());
}

// A generated password lives with the stack's Grafana: another state
// directory (another user, a reinstalled daemon) finds it there and sends
// Grafana no password it does not have.
TEST_F(ApplyTruthE2E, ASecondStateDirectoryUsesTheStacksGrafanaPasswordWithoutAFailedLogin) {
  dir_.write("stack.yaml", manifest(dir_.stack()));
  auto first = run_stackd("apply -f " + dir_.manifest() + " --state-dir " + state("first"));
  ASSERT_EQ(first.exit_code, 0) << first.output;
  dir_.write("dashboards/b.json", R"({"uid":"truth-b","title":"Truth B","panels":[]})");
  const std::string second_state = state("second");
  auto second = run_stackd("apply -f " + dir_.manifest() + " --state-dir " + second_state);
  ASSERT_EQ(second.exit_code, 0) << second.output;
  EXPECT_EQ(failed_logins(), 0);
  EXPECT_NE(grafana_search(dir_.stack()).find("truth-b"), std::string::npos) << grafana_search(dir_.stack());
  EXPECT_FALSE(fs::exists(fs::path(second_state) / dir_.stack() / "grafana-admin-password"))
      << "no second password was generated";

  // `status` says how to read the password (the command gives the one
  // Grafana takes) and never prints the password itself.
  auto status = run_stackd("status -f " + dir_.manifest());
  ASSERT_EQ(status.exit_code, 0) << status.output;
  const std::string command =
      "docker cp " + dir_.stack() + "-grafana:/run/secrets/stackd/grafana-admin-password - | tar -xO";
  EXPECT_NE(status.output.find("admin password: " + command), std::string::npos) << status.output;
  auto pw = sh(command).output;
  while (!pw.empty() && (pw.back() == '\n' || pw.back() == '\r')) pw.pop_back();
  ASSERT_EQ(sh(command).exit_code, 0) << pw;
  ASSERT_GE(pw.size(), 8u) << pw;
  EXPECT_EQ(status.output.find(pw), std::string::npos) << "status printed the password";
  EXPECT_EQ(sh("curl -s -o /dev/null -w '%{http_code}' -u 'admin:" + pw + "' 'http://127.0.0.1:" +
               std::to_string(kGrafana) + "/api/search?query=Truth'")
                .output,
            "200");
  EXPECT_EQ(failed_logins(), 0);
}

// A process that exits right after its start (a bad flag) is not "converged":
// apply fails naming it, with its last log lines.
TEST_F(ApplyTruthE2E, AContainerThatDoesNotRunFailsTheApplyWithItsLog) {
  dir_.write("stack.yaml", manifest(dir_.stack(), "    args: [--no-such-flag]\n"));
  auto r = run_stackd("apply -f " + dir_.manifest() + " --state-dir " + state("c"));
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_NE(r.output.find("container " + dir_.stack() + "-node-exporter"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("no-such-flag"), std::string::npos) << "its log lines: " << r.output;
  EXPECT_NE(r.output.find("FAILED to converge"), std::string::npos) << r.output;
}

// An edit that moves node-exporter onto a port another process holds: the
// new container exits, the previous one runs again, apply says so.
TEST_F(ApplyTruthE2E, AnEditOntoATakenPortPutsThePreviousContainerBack) {
  dir_.write("stack.yaml", manifest(dir_.stack()));
  ASSERT_EQ(run_stackd("apply -f " + dir_.manifest() + " --state-dir " + state("d")).exit_code, 0);
  const auto before = inspect(dir_.stack() + "-node-exporter", "{{.Id}}");
  TakenPort taken(kTaken);
  ASSERT_TRUE(taken.bound());
  dir_.write("stack.yaml", manifest(dir_.stack(), "", kTaken));
  auto r = run_stackd("apply -f " + dir_.manifest() + " --state-dir " + state("d"));
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_NE(r.output.find("the previous container runs again"), std::string::npos) << r.output;
  EXPECT_EQ(inspect(dir_.stack() + "-node-exporter", "{{.Id}}"), before);
  EXPECT_EQ(inspect(dir_.stack() + "-node-exporter", "{{.State.Running}}"), "true");
  EXPECT_NE(http_get(kNode, "/metrics").find("node_exporter_build_info"), std::string::npos)
      << "the previous container serves on its port";
  EXPECT_FALSE(container_exists(dir_.stack() + "-node-exporter-stackd-previous"));
}

// A rule file the promtool of the image Prometheus will run refuses never
// reaches a fresh Prometheus: apply judges it before anything changes, exit
// 1 with the user's file:line:col first, and the engine holds nothing of the
// stack (no Prometheus, no other component, no volume, no check container);
// the fixed file is applied and loaded.
TEST_F(ApplyTruthE2E, ARuleFileTheImagesPromtoolRejectsCreatesNoPrometheus) {
  const std::string rules_file = "prometheus/rules/bad.yml";
  dir_.write(rules_file, "groups:\n- name: g\n  rules:\n  - alert: Bad\n    expr: up ==\n");
  dir_.write("stack.yaml", "apiVersion: stackd.dev/v1alpha1\nkind: MonitoringStack\nmetadata: {name: " + dir_.stack() +
                               "}\nspec:\n  network: host\n  stackd: {port: " + std::to_string(kApi) +
                               "}\n  prometheus:\n    image: stackd-test/prometheus:2.42\n    port: " +
                               std::to_string(kProm) + "\n    rules: [" + rules_file +
                               "]\n  nodeExporter:\n    image: stackd-test/node-exporter:1.5\n    port: " +
                               std::to_string(kNode) + "\n");
  auto stack_objects = [&] {
    const std::string filter = " --filter label=dev.stackd.stack=" + dir_.stack();
    return sh("docker ps -aq" + filter + "; docker volume ls -q" + filter + "; docker network ls -q" + filter).output;
  };
  auto r = run_stackd("apply -f " + dir_.manifest() + " --state-dir " + state("f"));
  EXPECT_EQ(r.exit_code, 1) << r.output;
  const auto first = r.output.find(rules_file + ":5:11: ");
  EXPECT_NE(first, std::string::npos) << r.output;
  EXPECT_NE(r.output.find("could not parse expression", first), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("promtool check config in stackd-test/prometheus:2.42 rejects the Prometheus "
                          "configuration; its container was not created"),
            std::string::npos)
      << r.output;
  EXPECT_FALSE(container_exists(dir_.stack() + "-prometheus")) << "a rule promtool refuses never reaches a container";
  EXPECT_EQ(stack_objects(), "") << "nothing changes";

  dir_.write(rules_file, "groups:\n- name: g\n  rules:\n  - alert: Good\n    expr: up == 0\n");
  r = run_stackd("apply -f " + dir_.manifest() + " --state-dir " + state("f"));
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("checked the Prometheus configuration with promtool check config in "
                          "stackd-test/prometheus:2.42"),
            std::string::npos)
      << r.output;
  EXPECT_EQ(inspect(dir_.stack() + "-prometheus", "{{.State.Running}}"), "true");
  EXPECT_FALSE(container_exists(dir_.stack() + "-prometheus-config-check"));
}

// `render` prints what apply then creates: the same create documents and
// the same files in the containers.
TEST_F(ApplyTruthE2E, RenderPrintsWhatApplyCreates) {
  dir_.write("stack.yaml", manifest(dir_.stack()));
  auto rendered = run_stackd("render -o json -f " + dir_.manifest() + " --state-dir " + state("e") + " 2>/dev/null");
  ASSERT_EQ(rendered.exit_code, 0) << rendered.output;
  auto doc = json::parse(rendered.output, nullptr, false);
  ASSERT_TRUE(doc.is_object()) << rendered.output;
  ASSERT_EQ(run_stackd("apply -f " + dir_.manifest() + " --state-dir " + state("e")).exit_code, 0);
  ASSERT_EQ(doc["containers"].size(), 3u);
  for (const auto& c : doc["containers"]) {
    const std::string name = c["name"];
    EXPECT_EQ(inspect(name, "{{json .Config.Cmd}}"), c["create"].value("Cmd", json()).dump()) << name;
    EXPECT_EQ(inspect(name, "{{.Config.Image}}"), c["create"]["Image"].get<std::string>()) << name;
    EXPECT_EQ(inspect(name, "{{index .Config.Labels \"dev.stackd.spec-hash\"}}"),
              c["create"]["Labels"]["dev.stackd.spec-hash"].get<std::string>())
        << name;
    for (const auto& f : c["files"]) {
      if (f["secret"].get<bool>()) continue;
      const auto local = fs::temp_directory_path() / "stackd-e2e-truth-file";
      fs::remove(local);
      ASSERT_EQ(sh("docker cp " + name + ":" + f["path"].get<std::string>() + " " + local.string()).exit_code, 0);
      std::ifstream in(local);
      std::stringstream held;
      held << in.rdbuf();
      EXPECT_EQ(held.str(), f["content"].get<std::string>()) << name << ":" << f["path"];
    }
  }
}

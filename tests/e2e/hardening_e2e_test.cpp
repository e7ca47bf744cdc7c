// `stackd run` and `apply` under hostile or unlucky conditions on the real
// engine: edits that used to crash the parser land in the watched manifest,
// a new file appears under a rules glob, the daemon's own port moves (also
// onto a taken one), idle clients hold connections, and Prometheus is killed
// while a reload is under way.
// Ports 29740-29745; no other suite uses them.
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <nlohmann/json.hpp>
#include <sys/socket.h>
#include <unistd.h>

#include <filesystem>
#include <random>
#include <regex>
#include <thread>

#include "tests/e2e/e2e_support.hpp"

using namespace stackd::e2e;
using namespace std::chrono_literals;
namespace fs = std::filesystem;

namespace {

constexpr int kProm = 29740, kNode = 29741, kApi = 29742, kApiMoved = 29743, kApiTaken = 29744;

std::string manifest(const std::string& stack, int api_port = kApi, const std::string& node_args = "[]") {
  return "apiVersion: stackd.dev/v1alpha1\nkind: MonitoringStack\nmetadata:\n  name: " + stack +
         "\nspec:\n  network: host\n  stackd:\n    port: " + std::to_string(api_port) +
         "\n  prometheus:\n    image: stackd-test/prometheus:2.42\n    port: " + std::to_string(kProm) +
         "\n    scrapeInterval: 1s\n    rules: [\"rules/*.yml\"]\n  nodeExporter:\n    image: stackd-test/node-exporter:1.5\n"
         "    port: " + std::to_string(kNode) + "\n    args: " + node_args + "\n";
}

std::string rules(const std::string& record) {
  return "groups:\n  - name: " + record.substr(0, record.find(':')) + "\n    rules:\n      - record: " + record +
         "\n        expr: sum(up)\n";
}

nlohmann::json condition(const nlohmann::json& status, const std::string& type) {
  if (status.is_object() && status.contains("conditions"))
    for (const auto& c : status["conditions"])
      if (c.value("type", "") == type) return c;
  return nlohmann::json::object();
}

// Every object carrying the stack's label, with what a recreate or restart changes.
std::string world(const std::string& stack) {
  auto filter = " --filter label=dev.stackd.stack=" + stack;
  return sh("docker ps -aq" + filter +
            " | sort | xargs -r docker inspect -f '{{.Name}} {{.Id}} {{.State.StartedAt}} {{.State.Running}}'")
             .output +
         sh("docker volume ls -q" + filter + " | sort").output + sh("docker network ls -q" + filter + " | sort").output;
}

int containers_of(const std::string& stack, const std::string& component) {
  auto r = sh("docker ps -aq --filter label=dev.stackd.stack=" + stack + " --filter label=dev.stackd.component=" +
              component + " | wc -l");
  return std::atoi(r.output.c_str());
}

// A loopback TCP socket: listening (holds a port) or connected and silent
// (an idle client). Closed by the destructor.
struct Socket {
  int fd = -1;
  explicit Socket(int port, bool listen_on_it) {
    fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(static_cast<std::uint16_t>(port));
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    int one = 1;
    ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    bool ok = listen_on_it ? ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0 && ::listen(fd, 8) == 0
                           : ::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
    if (!ok) {
      ::close(fd);
      fd = -1;
    }
  }
  ~Socket() {
    if (fd >= 0) ::close(fd);
  }
  Socket(const Socket&) = delete;
  Socket& operator=(const Socket&) = delete;
};

class HardeningE2E : public ::testing::Test {
 protected:
  void start(const std::string& name) {
    dir = std::make_unique<StackDir>(name);
    dir->write("rules/base.yml", rules("base:up"));
    dir->write("stack.yaml", manifest(dir->stack()));
    // A resync far beyond every deadline below: whatever the daemon does
    // here, the file watch made it do.
    daemon = std::make_unique<StackdProcess>("run --resync 10m -f " + dir->manifest(), dir->write("daemon.log", ""));
    ASSERT_TRUE(eventually([&] { return ready(kApi); }, 60s)) << log();
    prom = dir->stack() + "-prometheus";
    node = dir->stack() + "-node-exporter";
  }
  void TearDown() override {
    daemon.reset();
    dir.reset();
  }
  static bool ready(int port) { return http_get(port, "/readyz").find("ok") != std::string::npos; }
  static bool healthy(int port) { return http_get(port, "/healthz").find("ok") != std::string::npos; }
  static nlohmann::json status(int port) { return nlohmann::json::parse(http_get(port, "/status"), nullptr, false); }
  std::string log() const { return daemon ? daemon->log().substr(0, 20000) : ""; }
  bool rule_loaded(const std::string& record) const {
    return http_get(kProm, "/api/v1/rules").find(record) != std::string::npos;
  }

  std::unique_ptr<StackDir> dir;
  std::unique_ptr<StackdProcess> daemon;
  std::string prom, node;
};

}  // namespace

TEST_F(HardeningE2E, HostileEditsLeaveTheDaemonRunningAndTheStackUntouched) {
  start("e2e-hostile");
  const auto before = world(dir->stack());
  const std::string good = manifest(dir->stack());
  auto replace = [&](const std::string& from, const std::string& to) {
    auto m = good;
    m.replace(m.find(from), from.size(), to);
    return m;
  };
  dir->write("deep.json", std::string(70000, '[') + std::string(70000, ']'));
  dir->write("rules/deep.yml.off", std::string(50000, '[') + std::string(50000, ']'));
  const std::vector<std::pair<std::string, std::string>> edits = {
      {"long image", replace("stackd-test/node-exporter:1.5", "a" + std::string(100000, 'b'))},
      {"long listen", replace("    port: " + std::to_string(kNode), "    listen: " + std::string(200000, '1') +
                                                                        "\n    port: " + std::to_string(kNode))},
      {"long env name", replace("    args: []", "    args: []\n    env: {" + std::string(60000, 'E') + ": x}")},
      {"long volume", replace("    args: []", "    args: []\n    volumes: [\"v:/" + std::string(80000, 'p') + "\"]")},
      {"deep yaml", replace("    args: []", "    args: " + std::string(70000, '[') + std::string(70000, ']'))},
      {"deep dashboard", good + "  grafana:\n    image: stackd-test/grafana:fake\n    port: 29745\n"
                                "    dashboards: [{path: deep.json}]\n"},
      {"deep rules file", replace("[\"rules/*.yml\"]", "[\"rules/*.yml\", rules/deep.yml.off]")},
      {"unset variable", replace("    args: []", "    args: [\"${STACKD_E2E_UNSET_VARIABLE}\"]")},
  };
  for (const auto& [what, text] : edits) {
    // What validate says of this edit is what the daemon must report.
    dir->write("hostile.yaml", text);
    auto validated = run_stackd("validate -f " + (fs::path(dir->manifest()).parent_path() / "hostile.yaml").string());
    ASSERT_EQ(validated.exit_code, 2) << what << ": " << validated.output.substr(0, 2000);
    // Its first "file:line:col: message": the daemon names the same place
    // (the manifest as stack.yaml) and the same message, cut short.
    std::smatch first;
    static const std::regex located(R"(([^\s:]+):(\d+):(\d+): ([^\n]{1,30}))");
    ASSERT_TRUE(std::regex_search(validated.output, first, located)) << what << ": " << validated.output.substr(0, 2000);
    auto file = fs::path(first[1].str()).filename().string();
    if (file == "hostile.yaml") file = "stack.yaml";
    const std::string message = file + ":" + first[2].str() + ":" + first[3].str() + ": " + first[4].str();

    dir->write("stack.yaml", text);
    EXPECT_TRUE(eventually([&] {
      auto d = condition(status(kApi), "Degraded");
      return d.value("reason", "") == "ManifestInvalid" && d.value("message", "").find(message) != std::string::npos;
    }, 15s)) << what << ": wanted '" << message << "' in " << condition(status(kApi), "Degraded").dump().substr(0, 2000)
             << "\n" << log();
    ASSERT_TRUE(daemon->running()) << what << "\n" << log();
    EXPECT_TRUE(healthy(kApi)) << what;
  }
  EXPECT_EQ(world(dir->stack()), before);

  // Still following: the next good edit is applied.
  dir->write("stack.yaml", manifest(dir->stack(), kApi, "[\"--collector.disable-defaults\", \"--collector.cpu\"]"));
  EXPECT_TRUE(eventually([&] { return inspect(node, "{{json .Args}}").find("--collector.cpu") != std::string::npos; }, 20s))
      << log();
  EXPECT_TRUE(eventually([&] { return condition(status(kApi), "Degraded").value("status", "") == "False"; }, 15s));
  EXPECT_TRUE(daemon->running());
}

TEST_F(HardeningE2E, ANewFileMatchingTheRulesGlobIsLoadedWithoutSighupOrResync) {
  start("e2e-glob");
  ASSERT_TRUE(eventually([&] { return rule_loaded("base:up"); }, 15s)) << log();
  const auto started = inspect(prom, "{{.State.StartedAt}}");
  dir->write("rules/extra.yml", rules("extra:up"));
  EXPECT_TRUE(eventually([&] { return rule_loaded("extra:up"); }, 15s)) << log();
  EXPECT_TRUE(rule_loaded("base:up"));
  fs::remove(fs::path(dir->manifest()).parent_path() / "rules" / "extra.yml");
  EXPECT_TRUE(eventually([&] { return !rule_loaded("extra:up"); }, 15s)) << log();
  EXPECT_EQ(inspect(prom, "{{.State.StartedAt}}"), started);  // reloaded, never restarted
}

TEST_F(HardeningE2E, TheDaemonsListenerFollowsSpecStackdPortAndATakenPortIsReported) {
  start("e2e-port");
  dir->write("stack.yaml", manifest(dir->stack(), kApiMoved));
  EXPECT_TRUE(eventually([&] { return ready(kApiMoved); }, 15s)) << log();
  EXPECT_TRUE(eventually([&] { return !healthy(kApi); }, 10s)) << "the old port still answers";
  // Prometheus scrapes the daemon where it now listens.
  EXPECT_TRUE(eventually([&] {
    auto targets = http_get(kProm, "/api/v1/targets");
    return targets.find("127.0.0.1:" + std::to_string(kApiMoved)) != std::string::npos &&
           targets.find("\"health\":\"up\"") != std::string::npos;
  }, 20s)) << http_get(kProm, "/api/v1/targets");

  // Onto a port something else holds: reported, not Ready, still serving where it was.
  Socket holder(kApiTaken, true);
  ASSERT_GE(holder.fd, 0);
  dir->write("stack.yaml", manifest(dir->stack(), kApiTaken));
  EXPECT_TRUE(eventually([&] { return condition(status(kApiMoved), "Degraded").value("reason", "") == "ListenFailed"; }, 15s))
      << status(kApiMoved).dump() << log();
  EXPECT_EQ(condition(status(kApiMoved), "Ready").value("status", ""), "False");
  EXPECT_TRUE(healthy(kApiMoved));
  // Back to a free port: the error clears.
  dir->write("stack.yaml", manifest(dir->stack(), kApiMoved));
  EXPECT_TRUE(eventually([&] { return ready(kApiMoved); }, 15s)) << status(kApiMoved).dump() << log();
  EXPECT_TRUE(daemon->running());
}

TEST_F(HardeningE2E, FortyIdleClientsDoNotBlindTheLivenessProbe) {
  start("e2e-idle");
  std::vector<std::unique_ptr<Socket>> idle;
  for (int i = 0; i < 40; ++i) {
    idle.push_back(std::make_unique<Socket>(kApi, false));
    ASSERT_GE(idle.back()->fd, 0) << "connection " << i;
  }
  for (int i = 0; i < 5; ++i) EXPECT_TRUE(healthy(kApi)) << "probe " << i << " with 40 idle clients";
  EXPECT_TRUE(ready(kApi));
}

TEST_F(HardeningE2E, PrometheusKilledMidReloadEndsWithOneRunningPrometheusHoldingTheNewRules) {
  start("e2e-reload-kill");
  std::mt19937 rng(std::random_device{}());
  for (int t = 0; t < 4; ++t) {
    const std::string record = "trial" + std::to_string(t) + ":up";
    dir->write("rules/base.yml", rules(record));
    // Chaos injection, not synchronisation: the kill lands at a random point
    // of staging, promtool, the swap or the reload.
    std::this_thread::sleep_for(std::chrono::milliseconds(std::uniform_int_distribution<int>(50, 600)(rng)));
    sh("docker kill " + prom + " >/dev/null 2>&1");
    EXPECT_TRUE(eventually([&] { return inspect(prom, "{{.State.Running}}") == "true" && rule_loaded(record); }, 40s))
        << "trial " << t << "\n" << http_get(kProm, "/api/v1/rules") << log();
    EXPECT_EQ(containers_of(dir->stack(), "prometheus"), 1) << "trial " << t;
    EXPECT_FALSE(container_exists(prom + "-stackd-next")) << "trial " << t;
    EXPECT_TRUE(eventually([&] { return condition(status(kApi), "Degraded").value("status", "") == "False"; }, 30s))
        << "trial " << t << " " << status(kApi).dump();
    if (HasFailure()) break;
  }
  EXPECT_TRUE(daemon->running());
}

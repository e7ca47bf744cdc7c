// On the real engine: `stackd apply` SIGKILLed at a random point of a
// cold apply or of a recreate, then a normal apply, leaves exactly one
// container per component, no `-stackd-next`, and the data volume it had.
// More trials: bench/core/chaos.sh. Also: the state directory read-only and
// full, and Grafana killed in the middle of a dashboard sync.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <filesystem>
#include <memory>
#include <random>
#include <set>
#include <sstream>

#include "tests/e2e/e2e_support.hpp"

using namespace stackd::e2e;
using namespace std::chrono_literals;

namespace {

// Ports no other suite uses.
constexpr int kPrometheusPort = 29290, kNodeExporterPort = 29300, kStackdPort = 29421;

std::string manifest(const std::string& stack, const std::string& prometheus_image) {
  return "apiVersion: stackd.dev/v1alpha1\nkind: MonitoringStack\nmetadata:\n  name: " + stack +
         "\nspec:\n  network: host\n  stackd:\n    port: " + std::to_string(kStackdPort) +
         "\n  prometheus:\n    image: " + prometheus_image + "\n    port: " + std::to_string(kPrometheusPort) +
         "\n  nodeExporter:\n    image: stackd-test/node-exporter:1.5\n    port: " +
         std::to_string(kNodeExporterPort) + "\n";
}

// Starts `stackd apply` and SIGKILLs it after delay_ms (the random kill point).
void apply_killed_after(const StackDir& dir, int delay_ms) {
  auto bin = std::getenv("STACKD_BIN") ? std::string(std::getenv("STACKD_BIN")) : std::string(STACKD_E2E_BIN);
  char delay[16];
  std::snprintf(delay, sizeof delay, "%d.%03d", delay_ms / 1000, delay_ms % 1000);
  sh(bin + " apply -f " + dir.manifest() + " >/dev/null 2>&1 & pid=$!; sleep " + delay +
     "; kill -9 $pid 2>/dev/null; wait $pid 2>/dev/null; true");
}

// Containers by name carrying this stack's label.
std::vector<std::string> stack_containers(const std::string& stack) {
  auto out = sh("docker ps -a --filter label=dev.stackd.stack=" + stack + " --format '{{.Names}}' | sort").output;
  std::vector<std::string> names;
  std::stringstream ss(out);
  for (std::string line; std::getline(ss, line);)
    if (!line.empty()) names.push_back(line);
  return names;
}

void expect_one_per_component(const StackDir& dir, const std::string& prometheus_image, int trial) {
  auto names = stack_containers(dir.stack());
  EXPECT_EQ(names, (std::vector<std::string>{dir.stack() + "-node-exporter", dir.stack() + "-prometheus"}))
      << "trial " << trial;
  EXPECT_EQ(inspect(dir.stack() + "-prometheus", "{{.Config.Image}}"), prometheus_image) << "trial " << trial;
  for (const auto& n : names) EXPECT_EQ(inspect(n, "{{.State.Running}}"), "true") << n << " trial " << trial;
}

int trials() {
  const char* n = std::getenv("STACKD_CHAOS_TRIALS");
  return n ? std::max(1, std::atoi(n)) : 15;
}

}  // namespace

TEST(ChaosE2E, ColdApplyKilledAnywhereThenApplyGivesOneContainerPerComponent) {
  StackDir dir("e2e-chaos-cold");
  dir.write("stack.yaml", manifest(dir.stack(), "stackd-test/prometheus:2.42"));
  std::mt19937 rng(std::random_device{}());
  for (int t = 0; t < trials(); ++t) {
    int delay = std::uniform_int_distribution<int>(0, 250)(rng);
    apply_killed_after(dir, delay);
    auto r = run_stackd("apply -f " + dir.manifest());
    ASSERT_EQ(r.exit_code, 0) << "trial " << t << " (killed after " << delay << " ms): " << r.output;
    expect_one_per_component(dir, "stackd-test/prometheus:2.42", t);
    if (HasFailure()) FAIL() << "killed after " << delay << " ms";
    // Back to empty (volumes kept, as a restart after a crash finds them).
    sh("docker rm -f $(docker ps -aq --filter label=dev.stackd.stack=" + dir.stack() + ") >/dev/null 2>&1");
  }
}

TEST(ChaosE2E, RecreateKilledAnywhereThenApplyFinishesItAndKeepsTheVolume) {
  StackDir dir("e2e-chaos-recreate");
  const std::string images[] = {"stackd-test/prometheus:2.42", "stackd-test/prometheus:2.42b"};
  dir.write("stack.yaml", manifest(dir.stack(), images[0]));
  auto first = run_stackd("apply -f " + dir.manifest());
  ASSERT_EQ(first.exit_code, 0) << first.output;
  std::string volume = dir.stack() + "-prometheus-data";
  ASSERT_TRUE(volume_exists(volume));
  // Data in the volume that must survive every recreate.
  ASSERT_EQ(sh("docker cp /etc/hostname " + dir.stack() + "-prometheus:/prometheus/stackd-chaos-marker").exit_code, 0);
  std::mt19937 rng(std::random_device{}());
  for (int t = 0; t < trials(); ++t) {
    const auto& image = images[(t + 1) % 2];
    dir.write("stack.yaml", manifest(dir.stack(), image));
    int delay = std::uniform_int_distribution<int>(0, 250)(rng);
    apply_killed_after(dir, delay);
    auto r = run_stackd("apply -f " + dir.manifest());
    ASSERT_EQ(r.exit_code, 0) << "trial " << t << " (killed after " << delay << " ms): " << r.output;
    expect_one_per_component(dir, image, t);
    // The marker inside the volume is the proof the data survived: the local
    // driver reports a volume's CreatedAt from its directory's mtime, which
    // moves without the volume being replaced.
    EXPECT_TRUE(volume_exists(volume));
    EXPECT_EQ(sh("docker cp " + dir.stack() + "-prometheus:/prometheus/stackd-chaos-marker - >/dev/null").exit_code, 0)
        << "the data in the volume is gone, trial " << t;
    if (HasFailure()) FAIL() << "killed after " << delay << " ms";
  }
}

// apply --wait returns once Prometheus answers /-/ready, and fails
// for a container that dies at once.
TEST(ApplyWaitE2E, WaitsForReadinessAndReportsAContainerThatDies) {
  StackDir dir("e2e-wait");
  dir.write("stack.yaml", manifest(dir.stack(), "stackd-test/prometheus:2.42"));
  auto r = run_stackd("apply --wait -f " + dir.manifest());
  ASSERT_EQ(r.exit_code, 0) << r.output;
  // Ready when apply returned: no polling here.
  EXPECT_NE(http_get(kPrometheusPort, "/-/ready").find("Ready"), std::string::npos);

  dir.write("stack.yaml", manifest(dir.stack(), "stackd-test/prometheus:2.42") + "    args: [--no-such-flag]\n");
  auto bad = run_stackd("apply --wait --timeout 20 -f " + dir.manifest());
  EXPECT_EQ(bad.exit_code, 1) << bad.output;
  EXPECT_NE(bad.output.find("node-exporter"), std::string::npos) << bad.output;
  EXPECT_NE(bad.output.find("exited with code"), std::string::npos) << bad.output;
}

// The state directory (where a generated Grafana admin password is kept
// until the stack's Grafana holds it) on a small tmpfs of its own, made
// read-only and then full under stackd: an apply that has to write there
// fails with the path and the reason before it touches Docker, the running
// stack stays as it was, and what needs no write (an unchanged stack, a
// rename, which carries the running Grafana's password) still works.
class StateDirectoryChaosE2E : public ::testing::Test {
 protected:
  static constexpr int kGrafanaPort = 29771;
  void SetUp() override {
    dir = std::make_unique<StackDir>("e2e-chaos-state");
    state = std::filesystem::path(dir->write("state/.keep", "")).parent_path().string();
    std::filesystem::remove(state + "/.keep");
    ASSERT_EQ(sh("mount -t tmpfs -o size=256k,mode=0700 stackd-e2e-state " + state).exit_code, 0)
        << "the test needs root to mount a tmpfs";
    mounted = true;
  }
  void TearDown() override {
    if (mounted) sh("umount " + state);
    dir.reset();
  }
  static std::string with_grafana(const std::string& name) {
    return manifest(name, "stackd-test/prometheus:2.42") +
           "  grafana:\n    image: stackd-test/grafana:fake\n    port: " + std::to_string(kGrafanaPort) + "\n";
  }
  CommandResult apply(const StackDir& d, const std::string& name) {
    d.write("stack.yaml", with_grafana(name));
    return run_stackd("apply --state-dir " + state + " -f " + d.manifest());
  }
  // Every container of `stack`, with what a recreate or a restart changes.
  static std::string world(const std::string& stack) {
    return sh("docker ps -aq --filter label=dev.stackd.stack=" + stack +
              " | sort | xargs -r docker inspect -f '{{.Name}} {{.Id}} {{.State.StartedAt}} {{.State.Running}}'")
        .output;
  }
  // Whether Grafana on the stack's port takes `password` for admin.
  static bool grafana_takes(const std::string& password) {
    return sh("curl -sf -m 5 -u 'admin:" + password + "' http://127.0.0.1:" + std::to_string(kGrafanaPort) +
              "/api/user >/dev/null")
               .exit_code == 0;
  }

  std::unique_ptr<StackDir> dir;
  std::string state;
  bool mounted = false;
};

TEST_F(StateDirectoryChaosE2E, ReadOnlyOrFullStateDirectoryFailsTheApplyThatMustWriteAndLosesNothing) {
  const std::string first = dir->stack(), renamed = dir->stack() + "-b";
  StackDir cleanup_renamed(renamed);  // `down --volumes` of the renamed stack at the end

  // Read-only before the first apply: the password cannot be kept, so
  // nothing is created that would hold one nobody can read again.
  ASSERT_EQ(sh("mount -o remount,ro " + state).exit_code, 0);
  auto ro = apply(*dir, first);
  EXPECT_EQ(ro.exit_code, 1) << ro.output;
  EXPECT_NE(ro.output.find(state), std::string::npos) << ro.output;
  EXPECT_NE(ro.output.find("Read-only file system"), std::string::npos) << ro.output;
  EXPECT_EQ(world(first), "") << ro.output;

  ASSERT_EQ(sh("mount -o remount,rw " + state).exit_code, 0);
  auto ok = apply(*dir, first);
  ASSERT_EQ(ok.exit_code, 0) << ok.output;
  const auto converged = world(first);
  ASSERT_NE(converged, "");
  auto password = sh("cat " + state + "/" + first + "/grafana-admin-password").output;
  while (!password.empty() && password.back() == '\n') password.pop_back();
  ASSERT_FALSE(password.empty());
  EXPECT_TRUE(eventually([&] { return grafana_takes(password); }, 30s));

  // Full: an apply of the unchanged stack has nothing to write.
  sh("dd if=/dev/zero of=" + state + "/filler bs=4k 2>/dev/null; sync");
  auto unchanged = apply(*dir, first);
  EXPECT_EQ(unchanged.exit_code, 0) << unchanged.output;
  EXPECT_EQ(world(first), converged) << unchanged.output;

  // Still full: a new stack from another manifest must keep a new password;
  // it cannot, so none of it exists and the running stack is untouched.
  StackDir other("e2e-chaos-state-other");
  auto refused = apply(other, other.stack());
  EXPECT_EQ(refused.exit_code, 1) << refused.output;
  EXPECT_NE(refused.output.find("No space left on device"), std::string::npos) << refused.output;
  EXPECT_EQ(world(other.stack()), "") << refused.output;
  EXPECT_EQ(world(first), converged) << refused.output;

  // Still full: a rename carries the running Grafana's password and writes nothing.
  auto moved = apply(*dir, renamed);
  ASSERT_EQ(moved.exit_code, 0) << moved.output;
  EXPECT_EQ(world(first), "") << moved.output;
  EXPECT_EQ(stack_containers(renamed), (std::vector<std::string>{renamed + "-grafana", renamed + "-node-exporter",
                                                                 renamed + "-prometheus"}));
  EXPECT_TRUE(eventually([&] { return grafana_takes(password); }, 30s)) << "the renamed stack's Grafana keeps the password";
  EXPECT_FALSE(std::filesystem::exists(state + "/" + renamed));
}

// Grafana (the fake, slowed down so the sync takes seconds) killed while the
// daemon is pushing dashboards: once it is back, Grafana holds every
// dashboard exactly once, in one folder, and the daemon is Ready again.
TEST(GrafanaChaosE2E, GrafanaKilledMidSyncEndsWithEveryDashboardOnceAndTheDaemonReady) {
  constexpr int kProm = 29760, kGrafana = 29761, kApi = 29762, kDashboards = 40;
  StackDir dir("e2e-chaos-grafana");
  for (int i = 0; i < kDashboards; ++i)
    dir.write("dashboards/d" + std::to_string(i) + ".json",
              R"({"uid":"chaos-)" + std::to_string(i) + R"(","title":"Chaos )" + std::to_string(i) +
                  R"(","schemaVersion":39,"panels":[]})");
  const std::string password = "chaos-e2e-grafana-password";
  dir.write("grafana-password", password + "\n");
  dir.write("stack.yaml", "apiVersion: stackd.dev/v1alpha1\nkind: MonitoringStack\nmetadata: {name: " + dir.stack() +
                              "}\nspec:\n  network: host\n  stackd: {port: " + std::to_string(kApi) +
                              "}\n  prometheus: {image: stackd-test/prometheus:2.42, port: " + std::to_string(kProm) +
                              "}\n  grafana:\n    image: stackd-test/grafana:fake\n    port: " + std::to_string(kGrafana) +
                              "\n    admin: {passwordFile: grafana-password}\n"
                              "    env: {FAKE_GRAFANA_WRITE_DELAY_MS: \"60\"}\n"
                              "    dashboards: [{path: dashboards/*.json, folder: Chaos}]\n");
  StackdProcess daemon("run --resync 10m -f " + dir.manifest(), dir.write("daemon.log", ""));
  const std::string auth = "admin:" + password, base = "http://127.0.0.1:" + std::to_string(kGrafana);
  auto get = [&](const std::string& path) {
    return nlohmann::json::parse(sh("curl -s -m 5 -u '" + auth + "' '" + base + path + "'").output, nullptr, false);
  };
  auto dashboards = [&] {
    auto j = get("/api/search?type=dash-db&limit=5000");
    return j.is_array() ? j : nlohmann::json::array();
  };

  // Mid-sync: some dashboards are there, not all.
  std::size_t seen = 0;
  ASSERT_TRUE(eventually([&] { return (seen = dashboards().size()) >= 2; }, 90s)) << daemon.log();
  ASSERT_EQ(sh("docker kill " + dir.stack() + "-grafana >/dev/null").exit_code, 0);
  ASSERT_LT(seen, static_cast<std::size_t>(kDashboards)) << "the sync was over before the kill; nothing was tested";

  auto complete = [&] {
    auto all = dashboards();
    std::set<std::string> uids;
    for (const auto& d : all)
      if (d.value("folderTitle", "") == "Chaos") uids.insert(d.value("uid", ""));
    return all.size() == static_cast<std::size_t>(kDashboards) && uids.size() == all.size();
  };
  EXPECT_TRUE(eventually(complete, 120s)) << dashboards().dump() << daemon.log();
  auto folders = get("/api/folders");
  int chaos_folders = 0;
  for (const auto& f : folders) chaos_folders += f.value("title", "") == "Chaos";
  EXPECT_EQ(chaos_folders, 1) << folders.dump();
  EXPECT_TRUE(eventually([&] {
    auto status = nlohmann::json::parse(http_get(kApi, "/status"), nullptr, false);
    if (!status.is_object() || !status.contains("conditions")) return false;
    for (const auto& c : status["conditions"])
      if (c.value("type", "") == "Ready") return c.value("status", "") == "True";
    return false;
  }, 60s)) << http_get(kApi, "/status") << daemon.log();
  EXPECT_TRUE(daemon.running());
}

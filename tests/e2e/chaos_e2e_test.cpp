// On the real engine: `stackd apply` SIGKILLed at a random point of a
// cold apply or of a recreate, then a normal apply, leaves exactly one
// container per component, no `-stackd-next`, and the data volume it had.
// More trials: bench/core/chaos.sh.
#include <gtest/gtest.h>

#include <random>
#include <sstream>

#include "tests/e2e/e2e_support.hpp"

using namespace stackd::e2e;

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

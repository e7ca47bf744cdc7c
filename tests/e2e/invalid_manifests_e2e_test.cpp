// Issue 16: every broken manifest of tests/manifests/invalid, applied against
// a running stack of the same name on the real engine, is rejected (exit 2,
// its error at file:line:col) and changes nothing: the same containers, not
// restarted, and no new object with the stack's labels.
#include <gtest/gtest.h>

#include "tests/e2e/e2e_support.hpp"

using namespace stackd::e2e;

namespace {

// The corpus' manifests all name this stack and these ports (29710-29712;
// no other suite uses them).
constexpr const char* kStack = "hardening-corpus";

const char* kValidManifest = R"(apiVersion: stackd.dev/v1alpha1
kind: MonitoringStack
metadata:
  name: hardening-corpus
spec:
  network: host
  stackd:
    port: 29712
  prometheus:
    image: stackd-test/prometheus:2.42
    port: 29710
    scrapeInterval: 1s
    rules:
      - rules.yml
  nodeExporter:
    image: stackd-test/node-exporter:1.5
    port: 29711
)";

std::string world() {
  // Every object carrying the stack's label, with what would change if it
  // were recreated or restarted.
  auto filter = std::string(" --filter label=dev.stackd.stack=") + kStack;
  auto containers = sh("docker ps -aq" + filter + " | sort | xargs -r docker inspect -f '{{.Name}} {{.Id}} {{.State.StartedAt}} {{.RestartCount}}'");
  auto volumes = sh("docker volume ls -q" + filter + " | sort");
  auto networks = sh("docker network ls -q" + filter + " | sort");
  return containers.output + "--\n" + volumes.output + "--\n" + networks.output;
}

}  // namespace

TEST(InvalidManifestsE2E, ApplyOfEveryBrokenManifestChangesNothing) {
  StackDir dir(kStack);
  dir.write("rules.yml", "groups:\n  - name: corpus\n    rules:\n      - record: corpus:up:sum\n        expr: sum(up)\n");
  dir.write("stack.yaml", kValidManifest);
  auto applied = run_stackd("apply -f " + dir.manifest());
  ASSERT_EQ(applied.exit_code, 0) << applied.output;
  ASSERT_TRUE(container_exists(std::string(kStack) + "-prometheus"));
  ASSERT_TRUE(container_exists(std::string(kStack) + "-node-exporter"));
  auto before = world();
  ASSERT_NE(before.find(std::string("/") + kStack + "-prometheus "), std::string::npos) << before;

  auto checked = sh("python3 " + source_dir() + "/tests/manifests/check_corpus.py " + STACKD_E2E_BIN + " apply");
  EXPECT_EQ(checked.exit_code, 0) << checked.output.substr(0, 20000);
  EXPECT_NE(checked.output.find("apply: "), std::string::npos) << checked.output.substr(0, 2000);

  EXPECT_EQ(world(), before) << "a rejected manifest changed the running stack";
  EXPECT_EQ(inspect(std::string(kStack) + "-prometheus", "{{.State.Running}}"), "true");
}

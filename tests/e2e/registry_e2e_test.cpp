// End to end: images pulled from a real registry (Debian's
// docker-registry, started here on 127.0.0.1 and stopped by pid), with
// per-layer progress, failures that leave the running stack untouched, and
// credentials from the Docker CLI's config.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <regex>
#include <set>
#include <sstream>

#include "tests/e2e/e2e_support.hpp"

using namespace stackd::e2e;
using namespace std::chrono_literals;

namespace {

constexpr int kRegistry = 29361, kSlowFront = 29362, kAuthRegistry = 29363, kNode = 29364, kApi = 29365;
const std::string kLocalNode = "stackd-test/node-exporter:1.5";

std::string manifest(const std::string& stack, const std::string& image) {
  return "apiVersion: stackd.dev/v1alpha1\nkind: MonitoringStack\nmetadata:\n  name: " + stack +
         "\nspec:\n  network: host\n  stackd:\n    port: " + std::to_string(kApi) + "\n  nodeExporter:\n    image: " +
         image + "\n    port: " + std::to_string(kNode) + "\n";
}

// One registry (and optionally its throttled front), stopped by pid at the end.
class Registry {
 public:
  Registry(const std::string& name, int port, const std::string& user = "")
      : dir_("/tmp/stackd-e2e-registry-" + name), port_(port) {
    std::filesystem::remove_all(dir_);
    auto r = sh(source_dir() + "/scripts/test-registry.sh start " + dir_ + " " + std::to_string(port) + " " + user);
    EXPECT_EQ(r.exit_code, 0) << r.output;
  }
  ~Registry() {
    stop();
    std::filesystem::remove_all(dir_);
  }
  std::string slow_front(int port, const std::string& rate) {
    auto r = sh(source_dir() + "/scripts/test-registry.sh slow " + dir_ + " " + std::to_string(port) + " " +
                std::to_string(port_) + " " + rate);
    EXPECT_EQ(r.exit_code, 0) << r.output;
    return "127.0.0.1:" + std::to_string(port);
  }
  void stop() { sh(source_dir() + "/scripts/test-registry.sh stop " + dir_); }
  std::string host() const { return "127.0.0.1:" + std::to_string(port_); }

 private:
  std::string dir_;
  int port_;
};

// Builds an image no engine has seen (a random layer of `mb` MiB over the
// local node-exporter image), pushes it as `ref` and removes it from the
// engine, so the next use of `ref` must pull that layer from the registry.
void publish(const std::string& ref, int mb, const std::string& docker_config = "") {
  auto ctx = "/tmp/stackd-e2e-publish";
  std::string cfg = docker_config.empty() ? "" : " --config " + docker_config;
  auto r = sh(std::string("rm -rf ") + ctx + " && mkdir -p " + ctx + " && head -c " + std::to_string(mb) +
              "M /dev/urandom >" + ctx + "/blob && printf 'FROM " + kLocalNode + "\\nCOPY blob /blob\\n' >" + ctx +
              "/Dockerfile && DOCKER_BUILDKIT=0 docker build -q -t " + ref + " " + ctx + " && docker" + cfg +
              " push " + ref + " && docker rmi " + ref + " && rm -rf " + ctx);
  ASSERT_EQ(r.exit_code, 0) << r.output;
  ASSERT_FALSE(sh("docker image inspect " + ref).exit_code == 0);
}

struct Snapshot {
  std::string id, started_at, running, image;
  bool operator==(const Snapshot&) const = default;
};
Snapshot snapshot(const std::string& name) {
  return {inspect(name, "{{.Id}}"), inspect(name, "{{.State.StartedAt}}"), inspect(name, "{{.State.Running}}"),
          inspect(name, "{{.Config.Image}}")};
}

// Lines of `stackd apply` output that name a layer step of `image`.
std::vector<std::string> layer_lines(const std::string& output, const std::string& image) {
  std::vector<std::string> out;
  std::istringstream in(output);
  for (std::string line; std::getline(in, line);)
    if (line.rfind("  " + image + " ", 0) == 0) out.push_back(line);
  return out;
}

// TCP connections established to 127.0.0.1:port, from /proc/net/tcp.
int established_connections(int port) {
  std::ifstream in("/proc/net/tcp");
  std::string line;
  std::getline(in, line);  // header
  char local[16];
  std::snprintf(local, sizeof local, "0100007F:%04X", port);
  int n = 0;
  while (std::getline(in, line)) {
    std::istringstream fields(line);
    std::string slot, local_address, remote_address, state;
    fields >> slot >> local_address >> remote_address >> state;
    if (local_address == local && state == "01") ++n;
  }
  return n;
}

}  // namespace

TEST(RegistryE2E, ColdApplyPullsWithOneLinePerLayerStepAndConverges) {
  Registry registry("plain", kRegistry);
  const std::string image = registry.host() + "/e2e/node-exporter:cold";
  publish(image, 8);
  StackDir dir("e2e-registry-cold");
  dir.write("stack.yaml", manifest(dir.stack(), image));
  auto r = run_stackd("apply -f " + dir.manifest());
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_EQ(inspect(dir.stack() + "-node-exporter", "{{.State.Running}}"), "true");
  EXPECT_EQ(inspect(dir.stack() + "-node-exporter", "{{.Config.Image}}"), image);
  EXPECT_EQ(sh("docker image inspect " + image).exit_code, 0);
  // Not a terminal: plain lines, no escape codes, each layer step once.
  EXPECT_NE(r.output.find("pulling " + image), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("pulled " + image), std::string::npos) << r.output;
  EXPECT_EQ(r.output.find('\x1b'), std::string::npos) << r.output;
  auto lines = layer_lines(r.output, image);
  EXPECT_NE(std::find_if(lines.begin(), lines.end(), [](auto& l) { return l.ends_with(": Pull complete"); }),
            lines.end()) << r.output;
  EXPECT_NE(std::find_if(lines.begin(), lines.end(), [](auto& l) { return l.ends_with(": Already exists"); }),
            lines.end()) << "the base layer was local" << r.output;
  std::set<std::string> unique(lines.begin(), lines.end());
  EXPECT_EQ(unique.size(), lines.size()) << "a step repeated: one line per step, not per byte\n" << r.output;
}

TEST(RegistryE2E, OnATerminalEachLayerIsOneLineRedrawnInPlace) {
  Registry registry("tty", kRegistry);
  const std::string image = registry.host() + "/e2e/node-exporter:tty";
  publish(image, 16);
  StackDir dir("e2e-registry-tty");
  dir.write("stack.yaml", manifest(dir.stack(), image));
  auto bin = std::getenv("STACKD_BIN") ? std::string(std::getenv("STACKD_BIN")) : std::string(STACKD_E2E_BIN);
  // script(1) gives stackd a pseudo-terminal, as a user's shell would.
  auto typescript = dir.write("typescript", "");
  auto r = sh("script -qefc '" + bin + " apply -f " + dir.manifest() + "' " + typescript + " >/dev/null; echo rc=$?");
  std::ifstream in(typescript);
  std::stringstream ss;
  ss << in.rdbuf();
  auto out = ss.str();
  EXPECT_NE(r.output.find("rc=0"), std::string::npos) << r.output << out;
  EXPECT_EQ(inspect(dir.stack() + "-node-exporter", "{{.State.Running}}"), "true");
  // Redrawn in place: cursor-up and erase-line codes, and the layer's final
  // state on a line of its own.
  EXPECT_TRUE(std::regex_search(out, std::regex("\x1b\\[[0-9]+A"))) << out;
  EXPECT_NE(out.find("\x1b[2K"), std::string::npos) << out;
  EXPECT_TRUE(std::regex_search(out, std::regex("[0-9a-f]{12}: Pull complete"))) << out;
  EXPECT_NE(out.find(image + ": pulled"), std::string::npos) << out;
}

TEST(RegistryE2E, FailedPullsAreOneClearErrorAndLeaveTheRunningStackUntouched) {
  Registry registry("fail", kRegistry);
  StackDir dir("e2e-registry-fail");
  const std::string node = dir.stack() + "-node-exporter";
  dir.write("stack.yaml", manifest(dir.stack(), kLocalNode));
  ASSERT_EQ(run_stackd("apply -f " + dir.manifest()).exit_code, 0);
  auto before = snapshot(node);
  ASSERT_EQ(before.running, "true");

  // An unknown tag.
  const std::string missing = registry.host() + "/e2e/node-exporter:no-such-tag";
  dir.write("stack.yaml", manifest(dir.stack(), missing));
  auto r = run_stackd("apply -f " + dir.manifest());
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_TRUE(std::regex_search(r.output, std::regex("pull image " + std::regex_replace(missing, std::regex("[.]"), "\\.") +
                                                     ":.*(not found|manifest unknown)")))
      << r.output;
  EXPECT_EQ(snapshot(node), before);

}

TEST(RegistryE2E, ARegistryStoppedMidPullIsOneClearErrorAndLeavesTheRunningStackUntouched) {
  Registry registry("midpull", kRegistry);
  StackDir dir("e2e-registry-midpull");
  const std::string node = dir.stack() + "-node-exporter";
  dir.write("stack.yaml", manifest(dir.stack(), kLocalNode));
  ASSERT_EQ(run_stackd("apply -f " + dir.manifest()).exit_code, 0);
  auto before = snapshot(node);
  ASSERT_EQ(before.running, "true");

  // A throttled front (256 KiB/s) makes the 16 MiB layer take a minute, so
  // the registry is stopped while the engine is inside that layer's download.
  auto front = registry.slow_front(kSlowFront, "256k");
  const std::string image = front + "/e2e/node-exporter:midpull";
  publish(image, 16);
  dir.write("stack.yaml", manifest(dir.stack(), image));
  auto log = dir.write("apply.log", "");
  StackdProcess apply("apply -f " + dir.manifest(), log);
  auto read = [&](const std::string&) { return apply.log(); };
  // The engine has the manifest and queued the new layer (its base layer is
  // local): the pull is under way. The engine only reports "Downloading"
  // once a chunk has arrived, which at this rate can come late.
  ASSERT_TRUE(eventually([&] { return read(log).find(": Pulling fs layer") != std::string::npos; }, 60s)) << read(log);
  // ... and its connection to the front is open, so the layer's GET has begun.
  EXPECT_TRUE(eventually([&] {
    return established_connections(kSlowFront) > 0;
  }, 10s));
  registry.stop();
  // The engine retries a broken layer download five times (5 s, 10 s, ...
  // 25 s apart) before it gives up: about 75 s.
  double seconds = 0;
  auto rc = apply.stop(0, 240s, &seconds);
  EXPECT_EQ(rc, 1) << read(log);
  auto out = read(log);
  // One error naming the image and the reason, not a line per retry.
  EXPECT_TRUE(std::regex_search(out, std::regex("pull image " + std::regex_replace(image, std::regex("[.]"), "\\.") +
                                                ":.*(connection refused|EOF|reset|unexpected)")))
      << out;
  EXPECT_EQ(out.find("pulled " + image), std::string::npos) << out;
  EXPECT_NE(sh("docker image inspect " + image).exit_code, 0);
  EXPECT_EQ(snapshot(node), before);
}

TEST(RegistryE2E, CredentialsComeFromTheDockerConfigAndNeverShow) {
  const std::string user = "e2e-user", password = "pw-9f3b1c2e-never-logged";
  Registry registry("auth", kAuthRegistry, user + ":" + password);
  StackDir dir("e2e-registry-auth");
  const std::string node = dir.stack() + "-node-exporter";
  // The pusher logs in with the real CLI, which writes an `auths` entry.
  auto pusher = dir.write("pusher/.keep", "");
  pusher = pusher.substr(0, pusher.rfind('/'));
  auto login = sh("echo '" + password + "' | docker --config " + pusher + " login -u " + user +
                  " --password-stdin " + registry.host());
  ASSERT_EQ(login.exit_code, 0) << login.output;
  const std::string image = registry.host() + "/e2e/node-exporter:private";
  publish(image, 4, pusher);

  dir.write("stack.yaml", manifest(dir.stack(), kLocalNode));
  ASSERT_EQ(run_stackd("apply -f " + dir.manifest()).exit_code, 0);
  auto before = snapshot(node);

  // Without credentials: refused by the registry, one clear error, untouched.
  auto empty = dir.write("anonymous/config.json", "{}");
  empty = empty.substr(0, empty.rfind('/'));
  dir.write("stack.yaml", manifest(dir.stack(), image));
  auto r = run_stackd("apply -f " + dir.manifest(), "DOCKER_CONFIG=" + empty);
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_TRUE(std::regex_search(r.output, std::regex("pull image .*node-exporter:private:.*(unauthorized|no basic auth|authentication required)")))
      << r.output;
  EXPECT_EQ(snapshot(node), before);

  // With the CLI's config: pulled and converged.
  r = run_stackd("apply -f " + dir.manifest(), "DOCKER_CONFIG=" + pusher);
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_EQ(inspect(node, "{{.Config.Image}}"), image);
  EXPECT_EQ(inspect(node, "{{.State.Running}}"), "true");
  // The secret is nowhere: not in the output, the container, or its labels.
  EXPECT_EQ(r.output.find(password), std::string::npos);
  EXPECT_EQ(sh("docker inspect " + node).output.find(password), std::string::npos);
  auto encoded = sh("printf '%s' '" + user + ":" + password + "' | base64 -w0").output;
  EXPECT_EQ(r.output.find(encoded), std::string::npos);
}

// End to end: stackd as users deploy it. The image is built from the
// project's Dockerfile by the fixture (e2e.image.build), then run as the
// daemon container with only the Docker socket and a manifest directory
// mounted: no host paths for the stack's files.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <filesystem>
#include <map>
#include <fstream>
#include <thread>

#include "tests/e2e/e2e_support.hpp"

using namespace stackd::e2e;
using namespace std::chrono_literals;

namespace {

constexpr int kApi = 29371, kProm = 29372, kNode = 29373, kExporter = 29374, kNoOllama = 29375;
const std::string kImage = "stackd-test/stackd-image:e2e";
const std::string kDaemon = "e2e-image-stackd";

std::string manifest(const std::string& stack) {
  return "apiVersion: stackd.dev/v1alpha1\nkind: MonitoringStack\nmetadata:\n  name: " + stack +
         "\nspec:\n  network: host\n  stackd:\n    port: " + std::to_string(kApi) +
         "\n  prometheus:\n    image: stackd-test/prometheus:2.42\n    port: " + std::to_string(kProm) +
         "\n    scrapeInterval: 1s\n    rules: [rules.yml]\n  nodeExporter:\n    image: stackd-test/node-exporter:1.5\n    port: " +
         std::to_string(kNode) +
         // No exporter image: it runs from the image of stackd's own container.
         // Nothing listens on the upstream port; the exporter serves ollama_up 0.
         "\n  ollama:\n    url: http://127.0.0.1:" + std::to_string(kNoOllama) + "\n    exporter:\n      port: " +
         std::to_string(kExporter) + "\n";
}

std::string rules(const std::string& record) {
  return "groups:\n  - name: a\n    rules:\n      - record: " + record + "\n        expr: sum(up)\n";
}

// The engine's socket as seen on this host (the daemon container mounts it).
std::string socket_path() {
  const char* h = std::getenv("STACKD_TEST_DOCKER_HOST");
  std::string host = h && *h ? h : STACKD_E2E_DOCKER_HOST;
  return host.substr(std::string("unix://").size());
}

// A manifest directory laid out as Kubernetes mounts a ConfigMap: the files
// are symlinks through `..data`, which an update replaces by rename.
class ConfigMapDir {
 public:
  explicit ConfigMapDir(const StackDir& dir) : root_(std::filesystem::path(dir.manifest()).parent_path() / "mount") {
    std::filesystem::create_directories(root_);
    // Readable by the container's non-root user.
    std::filesystem::permissions(root_, std::filesystem::perms::all);
  }
  // A new timestamped directory with these files, swapped in atomically.
  void publish(const std::map<std::string, std::string>& files) {
    auto gen = "..gen_" + std::to_string(++generation_);
    std::filesystem::create_directories(root_ / gen);
    for (const auto& [name, content] : files) {
      std::ofstream(root_ / gen / name) << content;
      if (!std::filesystem::is_symlink(root_ / name)) std::filesystem::create_symlink("..data/" + name, root_ / name);
    }
    std::filesystem::create_symlink(gen, root_ / "..data_tmp");
    std::filesystem::rename(root_ / "..data_tmp", root_ / "..data");
  }
  // Edits a file of the current generation in place.
  void edit(const std::string& name, const std::string& content) {
    std::ofstream(root_ / ("..gen_" + std::to_string(generation_)) / name) << content;
  }
  std::string path() const { return root_.string(); }

 private:
  std::filesystem::path root_;
  int generation_ = 0;
};

std::string group_of_socket() {
  auto out = sh("stat -c %g " + socket_path()).output;
  return out.substr(0, out.find('\n'));
}

struct DaemonContainer {
  ~DaemonContainer() { sh("docker rm -f " + kDaemon + " >/dev/null 2>&1"); }
  CommandResult start(const std::string& extra) {
    sh("docker rm -f " + kDaemon + " >/dev/null 2>&1");
    return sh("docker run -d --name " + kDaemon + " --network host -v " + socket_path() +
              ":/var/run/docker.sock " + extra + " " + kImage);
  }
  std::string logs() const { return sh("docker logs " + kDaemon).output; }
};

bool rule_loaded(const std::string& record) {
  return http_get(kProm, "/api/v1/rules").find(record) != std::string::npos;
}

}  // namespace

TEST(ImageE2E, TheImageIsSlimNonRootLabelledAndCarriesTheDefaultStack) {
  EXPECT_EQ(inspect(kImage, "{{.Config.User}}"), "10001:10001");
  EXPECT_EQ(inspect(kImage, "{{index .Config.Labels \"org.opencontainers.image.version\"}}"), STACKD_E2E_VERSION);
  EXPECT_EQ(inspect(kImage, "{{index .Config.Labels \"org.opencontainers.image.revision\"}}").size(), 40u);
  EXPECT_NE(inspect(kImage, "{{json .Config.Healthcheck}}").find("healthcheck"), std::string::npos);
  EXPECT_EQ(inspect(kImage, "{{json .Config.Cmd}}"), R"(["run","-f","/etc/stackd/stack.yaml"])");
  // Only runtime libraries: no compiler, no headers.
  auto probe = sh("docker run --rm --entrypoint /bin/sh " + kImage +
                  " -c 'command -v g++; command -v cmake; ls /usr/include/boost 2>/dev/null | head -1; command -v git; command -v ssh; id -u'");
  EXPECT_EQ(probe.output, "/usr/bin/git\n/usr/bin/ssh\n10001\n") << probe.output;
  // The embedded default is the repository's manifests/, and valid as baked in.
  auto copy = sh("rm -rf /tmp/stackd-e2e-image-default && id=$(docker create " + kImage +
                 ") && docker cp $id:/etc/stackd /tmp/stackd-e2e-image-default && docker rm $id >/dev/null && diff -r " +
                 source_dir() + "/manifests /tmp/stackd-e2e-image-default && rm -rf /tmp/stackd-e2e-image-default");
  EXPECT_EQ(copy.exit_code, 0) << copy.output;
  auto validate = sh("docker run --rm " + kImage + " validate -f /etc/stackd/stack.yaml");
  EXPECT_EQ(validate.exit_code, 0) << validate.output;
  // The size is what a user downloads. Measured 335 MB (slim base 75 MB; git
  // with its dependencies is most of the rest): a bound against regressions.
  auto size = std::stoll(inspect(kImage, "{{.Size}}"));
  EXPECT_LT(size, 400ll * 1024 * 1024) << size;
}

TEST(ImageE2E, WithoutTheSocketsGroupTheErrorSaysWhichGroupToAdd) {
  StackDir dir("e2e-image-noaccess");
  ConfigMapDir mount(dir);
  mount.publish({{"stack.yaml", manifest(dir.stack())}, {"rules.yml", rules("first:up")}});
  DaemonContainer daemon;
  // As a user would run it before reading the docs: non-root, no --group-add.
  // (Only meaningful when the socket is not world-writable, as dockerd makes it.)
  ASSERT_EQ(sh("stat -c %a " + socket_path()).output, "660\n");
  auto started = daemon.start("-v " + mount.path() + ":/etc/stackd:ro");
  ASSERT_EQ(started.exit_code, 0) << started.output;
  auto gid = group_of_socket();
  EXPECT_TRUE(eventually([&] {
    return daemon.logs().find("--group-add $(stat -c %g /var/run/docker.sock)") != std::string::npos &&
           daemon.logs().find("docker run --group-add " + gid + " ") != std::string::npos;
  }, 30s)) << daemon.logs();
  EXPECT_FALSE(container_exists(dir.stack() + "-prometheus"));
}

TEST(ImageE2E, RunsAsTheDaemonContainerConvergesRepairsReloadsAndSurvivesSigterm) {
  StackDir dir("e2e-image");
  ConfigMapDir mount(dir);
  mount.publish({{"stack.yaml", manifest(dir.stack())}, {"rules.yml", rules("first:up")}});
  DaemonContainer daemon;
  auto started = daemon.start("--group-add " + group_of_socket() + " -v " + mount.path() +
                              ":/etc/stackd:ro -e STACKD_HEALTHCHECK_ADDRESS=http://127.0.0.1:" + std::to_string(kApi));
  ASSERT_EQ(started.exit_code, 0) << started.output;
  const std::string prom = dir.stack() + "-prometheus", node = dir.stack() + "-node-exporter";

  // Converges the mounted manifest (not the embedded default).
  ASSERT_TRUE(eventually([&] { return http_get(kApi, "/readyz").find("ok") != std::string::npos; }, 90s))
      << daemon.logs();
  EXPECT_EQ(inspect(prom, "{{.State.Running}}"), "true");
  EXPECT_EQ(inspect(node, "{{.State.Running}}"), "true");
  EXPECT_FALSE(container_exists("frontier-llm-prometheus"));
  EXPECT_TRUE(eventually([&] { return rule_loaded("first:up"); }, 20s)) << daemon.logs();

  // The Ollama exporter runs from the image stackd itself runs from, found by
  // inspecting its own container, and Prometheus scrapes it.
  const std::string exporter = dir.stack() + "-ollama-exporter";
  EXPECT_TRUE(eventually([&] { return inspect(exporter, "{{.State.Running}}") == "true"; }, 30s)) << daemon.logs();
  EXPECT_EQ(inspect(exporter, "{{.Config.Image}}"), kImage);
  EXPECT_TRUE(eventually([&] { return http_get(kExporter, "/metrics").find("ollama_up 0") != std::string::npos; }, 30s))
      << http_get(kExporter, "/metrics");

  // Non-root, and healthy through its own HEALTHCHECK.
  EXPECT_EQ(sh("docker exec " + kDaemon + " id -u").output, "10001\n");
  EXPECT_TRUE(eventually([&] { return inspect(kDaemon, "{{.State.Health.Status}}") == "healthy"; }, 60s))
      << inspect(kDaemon, "{{json .State.Health}}");

  // Prometheus scrapes stackd's /metrics in the container.
  EXPECT_TRUE(eventually([&] {
    return http_get(kProm, "/api/v1/query?query=up%7Bjob%3D%22stackd%22%7D").find("\"1\"]") != std::string::npos;
  }, 30s)) << http_get(kProm, "/api/v1/targets");

  // A removed container comes back.
  auto node_id = inspect(node, "{{.Id}}");
  ASSERT_EQ(sh("docker rm -f " + node).exit_code, 0);
  EXPECT_TRUE(eventually([&] {
    return inspect(node, "{{.State.Running}}") == "true" && inspect(node, "{{.Id}}") != node_id;
  }, 30s)) << daemon.logs();

  // A rule edited in the mounted manifest is reloaded without a restart.
  auto prom_started = inspect(prom, "{{.State.StartedAt}}");
  mount.edit("rules.yml", rules("second:up"));
  EXPECT_TRUE(eventually([&] { return rule_loaded("second:up"); }, 30s)) << daemon.logs();
  // And a ConfigMap-style update: `..data` swapped to a new generation.
  mount.publish({{"stack.yaml", manifest(dir.stack())}, {"rules.yml", rules("third:up")}});
  EXPECT_TRUE(eventually([&] { return rule_loaded("third:up") && !rule_loaded("second:up"); }, 30s)) << daemon.logs();
  EXPECT_EQ(inspect(prom, "{{.State.StartedAt}}"), prom_started);

  // SIGTERM (docker stop): the daemon exits cleanly, the stack keeps running.
  auto node_started = inspect(node, "{{.State.StartedAt}}");
  auto t0 = std::chrono::steady_clock::now();
  ASSERT_EQ(sh("docker stop -t 20 " + kDaemon).exit_code, 0);
  auto took = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  EXPECT_EQ(inspect(kDaemon, "{{.State.ExitCode}}"), "0") << daemon.logs();
  EXPECT_LT(took, 10.0);
  EXPECT_EQ(inspect(prom, "{{.State.Running}}"), "true");
  EXPECT_EQ(inspect(prom, "{{.State.StartedAt}}"), prom_started);
  EXPECT_EQ(inspect(node, "{{.State.StartedAt}}"), node_started);
  EXPECT_EQ(inspect(exporter, "{{.State.Running}}"), "true");
  EXPECT_TRUE(rule_loaded("third:up"));
  // Secrets and the like never reach the labels the daemon put on its objects.
  EXPECT_EQ(inspect(prom, "{{json .Config.Labels}}").find("password"), std::string::npos);
}

TEST(ImageE2E, DeployComposeStartsTheDaemonWithRestartPolicySocketManifestAndState) {
  constexpr int kComposeApi = 29381, kComposeNode = 29383;
  StackDir dir("e2e-image-compose");
  ConfigMapDir mount(dir);
  mount.publish({{"stack.yaml", "apiVersion: stackd.dev/v1alpha1\nkind: MonitoringStack\nmetadata:\n  name: " +
                                    dir.stack() + "\nspec:\n  network: host\n  stackd:\n    port: " +
                                    std::to_string(kComposeApi) +
                                    "\n  nodeExporter:\n    image: stackd-test/node-exporter:1.5\n    port: " +
                                    std::to_string(kComposeNode) + "\n"}});
  const std::string name = "e2e-compose-stackd", volume = "e2e-compose-state";
  const std::string env = "STACKD_IMAGE=" + kImage + " DOCKER_GID=" + group_of_socket() + " DOCKER_SOCKET=" +
                          socket_path() + " STACKD_MANIFEST_DIR=" + mount.path() + " STACKD_CONTAINER_NAME=" + name +
                          " STACKD_STATE_VOLUME=" + volume + " STACKD_HEALTHCHECK_ADDRESS=http://127.0.0.1:" +
                          std::to_string(kComposeApi);
  const std::string compose = env + " docker-compose -p e2e-compose -f " + source_dir() + "/deploy/compose.yaml ";
  struct Down {
    std::string cmd, volume;
    ~Down() { sh(cmd + " down >/dev/null 2>&1; docker volume rm " + volume + " >/dev/null 2>&1"); }
  } down{compose, volume};
  auto up = sh(compose + "up -d --no-build");
  ASSERT_EQ(up.exit_code, 0) << up.output;
  EXPECT_EQ(inspect(name, "{{.HostConfig.RestartPolicy.Name}}"), "unless-stopped");
  EXPECT_EQ(inspect(name, "{{.HostConfig.NetworkMode}}"), "host");
  auto mounts = inspect(name, "{{range .Mounts}}{{.Destination}}={{.Type}} {{end}}");
  EXPECT_NE(mounts.find("/var/run/docker.sock=bind"), std::string::npos) << mounts;
  EXPECT_NE(mounts.find("/etc/stackd=bind"), std::string::npos) << mounts;
  EXPECT_NE(mounts.find("/var/lib/stackd=volume"), std::string::npos) << mounts;
  EXPECT_TRUE(volume_exists(volume));
  EXPECT_TRUE(eventually([&] { return inspect(dir.stack() + "-node-exporter", "{{.State.Running}}") == "true"; }, 90s))
      << sh("docker logs " + name).output;
  EXPECT_TRUE(eventually([&] { return inspect(name, "{{.State.Health.Status}}") == "healthy"; }, 60s))
      << inspect(name, "{{json .State.Health}}");
  // `docker-compose down` stops stackd only; the stack it owns keeps running.
  ASSERT_EQ(sh(compose + "down").exit_code, 0);
  EXPECT_FALSE(container_exists(name));
  EXPECT_EQ(inspect(dir.stack() + "-node-exporter", "{{.State.Running}}"), "true");
}

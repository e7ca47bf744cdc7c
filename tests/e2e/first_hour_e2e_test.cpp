// Issue 24, a new user's first hour: each runtime error a user can cause says
// its cause and its fix, once, against the real engine the fixture started.
#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>

#include <unistd.h>

#include "tests/e2e/e2e_support.hpp"

using namespace stackd::e2e;
namespace fs = std::filesystem;

namespace {

// Ports 29810-29814: no other suite uses them.
std::string manifest(const std::string& stack, const std::string& extra = "") {
  return "apiVersion: stackd.dev/v1alpha1\nkind: MonitoringStack\nmetadata:\n  name: " + stack +
         "\nspec:\n  network: host\n  stackd:\n    port: 29812\n  nodeExporter:\n    image: stackd-test/node-exporter:1.5\n"
         "    port: 29811\n" + extra;
}

int count(const std::string& haystack, const std::string& needle) {
  int n = 0;
  for (auto at = haystack.find(needle); at != std::string::npos; at = haystack.find(needle, at + 1)) ++n;
  return n;
}

std::string engine_socket() {
  auto host = std::string(std::getenv("STACKD_TEST_DOCKER_HOST") ? std::getenv("STACKD_TEST_DOCKER_HOST")
                                                                  : STACKD_E2E_DOCKER_HOST);
  return host.substr(std::string("unix://").size());
}

std::string stack_objects(const std::string& stack) {
  return sh("docker ps -aq --filter label=dev.stackd.stack=" + stack + "; docker volume ls -q --filter label=dev.stackd.stack=" +
            stack)
      .output;
}

}  // namespace

// Docker not running: one line with the address tried and the question to
// ask, not one per key.
TEST(FirstHourE2E, EngineDownIsOneLineNamingTheAddressTried) {
  StackDir dir("first-hour-down");
  dir.write("stack.yaml", manifest(dir.stack()));
  const std::string missing = "unix://" + (fs::temp_directory_path() / "stackd-no-engine/d.sock").string();
  auto r = run_stackd("apply -f " + dir.manifest(), "DOCKER_HOST=" + missing);
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_EQ(count(r.output, "cannot reach the Docker engine at " + missing + " (DOCKER_HOST)"), 1) << r.output;
  EXPECT_EQ(count(r.output, "Is the Docker daemon running?"), 1) << r.output;
  EXPECT_EQ(count(r.output, "\n"), 1) << "one line, not one per key:\n" << r.output;
  auto d = run_stackd("diff -f " + dir.manifest(), "DOCKER_HOST=" + missing);
  EXPECT_EQ(d.exit_code, 1) << d.output;
  EXPECT_EQ(count(d.output, "Is the Docker daemon running?"), 1) << d.output;
}

// The daemon without its engine backs off quietly and says when it is back:
// the engine "appears" when a link at DOCKER_HOST's path starts pointing at
// the fixture's socket.
TEST(FirstHourE2E, TheDaemonLogsTheEngineGoingAndComingNotEveryAttempt) {
  StackDir dir("first-hour-daemon");
  dir.write("stack.yaml", manifest(dir.stack()));
  const fs::path link_dir = fs::temp_directory_path() / ("stackd-late-engine-" + std::to_string(::getpid()));
  fs::create_directories(link_dir);
  const fs::path link = link_dir / "d.sock";
  const std::string log = (link_dir / "daemon.log").string();
  // The child's DOCKER_HOST (StackdProcess takes the test engine's from here).
  const std::string engine = engine_socket();
  ::setenv("STACKD_TEST_DOCKER_HOST", ("unix://" + link.string()).c_str(), 1);
  {
    StackdProcess daemon("run -f " + dir.manifest() + " --listen 127.0.0.1:29812 --resync 1m", log);
    // The outage observed through the daemon's own count of attempts: several
    // failed passes re-queued with backoff, each of which could have logged.
    double retries = 0;
    ASSERT_TRUE(eventually(
        [&] {
          retries = metric_value(http_get(29812, "/metrics"), "stackd_workqueue_retries_total");
          return retries >= 5;
        },
        std::chrono::seconds(30)))
        << "retries: " << retries << "\n" << daemon.log();
    auto quiet = daemon.log();
    // The loss said once (the event stream, the keys' shared error), not once per attempt.
    const int said = count(quiet, "cannot reach the Docker engine");
    EXPECT_GE(said, 1) << quiet;
    EXPECT_LE(said, 2) << quiet;
    EXPECT_LT(said, retries) << quiet;
    EXPECT_GE(count(quiet, "Is the Docker daemon running?"), 1) << quiet;
    EXPECT_LT(count(quiet, "\n"), 15) << "after " << retries << " retries:\n" << quiet;
    fs::create_symlink(engine, link);
    EXPECT_TRUE(eventually([&] { return daemon.log().find("docker event stream connected again") != std::string::npos; },
                           std::chrono::seconds(20)))
        << daemon.log();
    EXPECT_TRUE(eventually([&] { return inspect(dir.stack() + "-node-exporter", "{{.State.Running}}") == "true"; }))
        << daemon.log();
    // The shipped alerts' runbook links open here: each alert has its anchor.
    auto runbooks = http_get(29812, "/runbooks");
    EXPECT_NE(runbooks.find("id=\"ollamadown\""), std::string::npos) << runbooks.substr(0, 2000);
    EXPECT_NE(runbooks.find("id=\"targetdown\""), std::string::npos) << runbooks.substr(0, 2000);
    EXPECT_EQ(daemon.stop(SIGTERM, std::chrono::seconds(20)), 0);
  }
  if (engine == std::string(STACKD_E2E_DOCKER_HOST).substr(7)) ::unsetenv("STACKD_TEST_DOCKER_HOST");
  else ::setenv("STACKD_TEST_DOCKER_HOST", ("unix://" + engine).c_str(), 1);
  fs::remove_all(link_dir);
}

// No permission on the socket: both fixes, the host's and the container's.
TEST(FirstHourE2E, SocketWithoutPermissionNamesBothFixes) {
  StackDir dir("first-hour-perm");
  dir.write("stack.yaml", manifest(dir.stack()));
  const fs::path state = fs::temp_directory_path() / ("stackd-perm-state-" + std::to_string(::getpid()));
  fs::create_directories(state);
  fs::permissions(state, fs::perms::all);
  fs::permissions(fs::path(dir.manifest()).parent_path(), fs::perms::all, fs::perm_options::add);
  fs::permissions(dir.manifest(), fs::perms::all, fs::perm_options::add);
  // As an unprivileged user without the socket's group, as a user would first try.
  auto r = run_stackd("apply -f " + dir.manifest(), "STACKD_STATE_DIR=" + state.string() +
                                                     " setpriv --reuid=65534 --regid=65534 --clear-groups");
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_EQ(count(r.output, "permission denied on the Docker socket " + engine_socket()), 1) << r.output;
  EXPECT_NE(r.output.find("On the host: add your user to the group (sudo usermod -aG"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("or run stackd with sudo"), std::string::npos) << r.output;
  auto gid = sh("stat -c %g " + engine_socket()).output;
  gid.erase(gid.find_last_not_of("\n") + 1);
  EXPECT_NE(r.output.find("In a container: docker run --group-add " + gid + " "), std::string::npos) << r.output;
  EXPECT_EQ(stack_objects(dir.stack()), "") << "nothing is created without the engine";
  fs::remove_all(state);
}

// A state directory stackd cannot write while it has a Grafana password to
// keep: its own message and exit 1, not
// "invalid desired state" and 2 (which mean the manifest is wrong).
TEST(FirstHourE2E, AnUnwritableStateDirectoryIsNotAnInvalidManifest) {
  StackDir dir("first-hour-state");
  // Grafana's generated admin password is what the state directory keeps.
  dir.write("stack.yaml", manifest(dir.stack(), "  grafana:\n    image: stackd-test/grafana:fake\n    port: 29813\n"));
  // A file where a directory should be: unwritable even for root.
  auto blocker = dir.write("not-a-directory", "");
  auto r = run_stackd("apply -f " + dir.manifest(), "STACKD_STATE_DIR=" + blocker + "/state");
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_NE(r.output.find("cannot write the state directory: " + blocker + "/state"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("--state-dir DIR or STACKD_STATE_DIR"), std::string::npos) << r.output;
  EXPECT_EQ(r.output.find("invalid desired state"), std::string::npos) << r.output;
  EXPECT_EQ(r.output.find("is invalid"), std::string::npos) << r.output;
  EXPECT_EQ(sh("docker ps -aq --filter label=dev.stackd.stack=" + dir.stack()).output, "")
      << "a stack whose record cannot be kept is not started";
}

// stackd on the host with the exporter's default image missing: validate and
// diff warn, apply fails before changing anything, each naming the command
// that builds the image and the field that names another.
TEST(FirstHourE2E, AMissingExporterImageSaysHowToBuildIt) {
  StackDir dir("first-hour-image");
  dir.write("stack.yaml", manifest(dir.stack(), "  ollama:\n    url: http://127.0.0.1:29899\n    exporter:\n      port: 29810\n"));
  const std::string image = "stackd-first-hour-missing:0";  // never built: the engine lacks it
  ASSERT_NE(sh("docker image inspect " + image).exit_code, 0);
  const std::string env = "STACKD_IMAGE=" + image;
  const std::string advice = "build it with scripts/build-stackd-image.sh " + image +
                             ", or name another image in spec.ollama.exporter.image";
  auto v = run_stackd("validate -f " + dir.manifest(), env);
  EXPECT_EQ(v.exit_code, 0) << v.output;
  EXPECT_NE(v.output.find("warning: the Ollama exporter runs from stackd's image, " + image), std::string::npos) << v.output;
  EXPECT_NE(v.output.find(advice), std::string::npos) << v.output;
  auto d = run_stackd("diff -f " + dir.manifest(), env);
  EXPECT_NE(d.output.find("warning: the Ollama exporter runs from stackd's image"), std::string::npos) << d.output;
  auto a = run_stackd("apply -f " + dir.manifest(), env);
  EXPECT_EQ(a.exit_code, 1) << a.output;
  EXPECT_EQ(count(a.output, advice), 1) << a.output;
  EXPECT_EQ(stack_objects(dir.stack()), "") << "nothing is changed before the image exists";
  // Named in the manifest, the image is the user's business: no warning.
  dir.write("stack.yaml", manifest(dir.stack(), "  ollama:\n    url: http://127.0.0.1:29899\n    exporter:\n      port: 29810\n"
                                                "      image: " + image + "\n"));
  v = run_stackd("validate -f " + dir.manifest(), env);
  EXPECT_EQ(v.output.find("warning"), std::string::npos) << v.output;
}

// Prometheus' data in a host directory of the user's choosing (a disk with
// room): the TSDB lands there, not in a named volume, and a directory
// Prometheus' user cannot write is refused before anything is created.
TEST(FirstHourE2E, DataPathPutsPrometheusDataInTheUsersDirectory) {
  StackDir dir("first-hour-data");
  const fs::path data = fs::temp_directory_path() / ("stackd-data-" + std::to_string(::getpid()));
  fs::remove_all(data);
  fs::create_directories(data);
  const std::string prometheus = "  prometheus:\n    image: stackd-test/prometheus:2.42\n    port: 29814\n    dataPath: " +
                                 data.string() + "\n";
  dir.write("stack.yaml", manifest(dir.stack(), prometheus));

  // Owned by root, 0755: Prometheus (uid 65534) could not write there.
  auto refused = run_stackd("apply -f " + dir.manifest());
  EXPECT_EQ(refused.exit_code, 2) << refused.output;
  EXPECT_NE(refused.output.find("stack.yaml:"), std::string::npos) << refused.output;
  EXPECT_NE(refused.output.find("prometheus runs as uid 65534, which cannot write there: sudo chown -R 65534:65534 " +
                                data.string()),
            std::string::npos)
      << refused.output;
  EXPECT_EQ(stack_objects(dir.stack()), "") << "nothing is created for a directory Prometheus cannot use";

  ASSERT_EQ(::chown(data.c_str(), 65534, 65534), 0);
  auto r = run_stackd("apply --wait -f " + dir.manifest());
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_EQ(inspect(dir.stack() + "-prometheus", "{{range .Mounts}}{{if eq .Destination \"/prometheus\"}}{{.Type}} {{.Source}}{{end}}{{end}}"),
            "bind " + data.string());
  // The TSDB's write-ahead log is in the user's directory.
  EXPECT_TRUE(eventually([&] { return fs::exists(data / "wal"); })) << r.output;
  EXPECT_EQ(sh("docker volume ls -q --filter label=dev.stackd.stack=" + dir.stack()).output, "")
      << "no named volume beside the user's directory";

  auto down = run_stackd("down -f " + dir.manifest() + " --volumes");
  EXPECT_EQ(down.exit_code, 0) << down.output;
  EXPECT_TRUE(fs::exists(data / "wal")) << "down --volumes removes stackd's volumes, never the user's directory";
  fs::remove_all(data);
}

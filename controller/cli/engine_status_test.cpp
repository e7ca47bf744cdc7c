#include "controller/cli/engine_status.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "api/v1alpha1/labels.hpp"
#include "controller/cli/daemon_address.hpp"

namespace stackd::cli {
namespace {

docker::ContainerInfo container(const std::string& stack, const std::string& component, const std::string& status,
                                const std::string& health = "") {
  docker::ContainerInfo c;
  c.id = std::string(64, component[0]);
  c.name = stack + "-" + component;
  c.image_ref = "img/" + component;
  c.labels = labels::owner_labels(stack);
  c.labels[labels::kComponent] = component;
  c.labels[labels::kSpecHash] = std::string(64, 'f');
  c.state.status = status;
  c.state.running = status == "running";
  c.state.health = health;
  return c;
}

TEST(EngineStatus, ComponentsOfTheStackWithStateHealthAndSpecHash) {
  std::vector<docker::ContainerInfo> all = {container("frontier", "prometheus", "running", "healthy"),
                                            container("frontier", "node-exporter", "restarting"),
                                            container("other", "prometheus", "running")};
  all[1].restart_count = 4;
  docker::ContainerInfo foreign;
  foreign.name = "frontier-grafana";
  foreign.labels = {{labels::kStack, "frontier"}};
  all.push_back(foreign);
  auto stacks = engine_stacks(all, "frontier");
  ASSERT_EQ(stacks.size(), 1u);
  ASSERT_EQ(stacks[0].components.size(), 2u) << "only containers with stackd's labels";
  EXPECT_EQ(stacks[0].components[0].component, "node-exporter");
  auto text = format_engine_status("no stackd daemon answers at http://127.0.0.1:9321 (refused): the daemon is not running",
                                   stacks);
  EXPECT_NE(text.find("Daemon:    not running (none recorded)"), std::string::npos) << text;
  EXPECT_NE(text.find("node-exporter    nnnnnnnnnnnn  restarting (4 restarts) -          ffffffffffff  img/node-exporter"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("prometheus       pppppppppppp  running     healthy    ffffffffffff  img/prometheus"),
            std::string::npos)
      << text;
  auto j = engine_status_json("none", stacks);
  EXPECT_EQ(j["daemon"]["running"], false);
  EXPECT_EQ(j["stacks"][0]["components"][1]["health"], "healthy");
  EXPECT_EQ(j["stacks"][0]["components"][1]["specHash"], std::string(64, 'f'));

  auto every = engine_stacks(all, "");
  ASSERT_EQ(every.size(), 2u);
  EXPECT_EQ(every[1].stack, "other");
  EXPECT_EQ(engine_stacks({}, "frontier").size(), 1u) << "the stack asked for, even with nothing running";
}

TEST(EngineStatus, SaysHowToReadTheGrafanaPasswordOfTheRunningGrafana) {
  auto grafana = container("frontier", "grafana", "running");
  auto stopped = container("frontier", "grafana", "exited");
  stopped.name = "frontier-grafana-stackd-previous";
  auto stacks = engine_stacks({stopped, grafana, container("frontier", "prometheus", "running")}, "frontier");
  auto text = format_engine_status("none", stacks);
  EXPECT_NE(text.find("Grafana:   admin password: docker cp "
                      "frontier-grafana:/run/secrets/stackd/grafana-admin-password - | tar -xO"),
            std::string::npos)
      << text;
  auto j = engine_status_json("none", stacks);
  EXPECT_EQ(j["stacks"][0]["grafanaAdminPassword"]["command"],
            "docker cp frontier-grafana:/run/secrets/stackd/grafana-admin-password - | tar -xO");

  auto without = engine_stacks({container("frontier", "prometheus", "running")}, "frontier");
  EXPECT_EQ(format_engine_status("none", without).find("Grafana:"), std::string::npos) << "no Grafana container, no line";
  EXPECT_FALSE(engine_status_json("none", without)["stacks"][0].contains("grafanaAdminPassword"));
}

TEST(EngineStatus, TheRecordedDaemonIsDescribed) {
  EngineStack s{.stack = "frontier"};
  s.daemon = ownership::DaemonRecord{.stack = "frontier", .instance = "x", .since = "2026-01-01T00:00:00Z",
                                     .listen = "127.0.0.1:9321", .host = "box", .pid = 7};
  s.daemon_probe = {ownership::Liveness::Gone, "no process has its pid"};
  auto text = format_engine_status("no daemon", {s});
  EXPECT_NE(text.find("Daemon:    not running (was on host box (pid 7) since 2026-01-01T00:00:00Z, serving "
                      "127.0.0.1:9321; no process has its pid)"),
            std::string::npos)
      << text;
}

TEST(DaemonAddress, FromSpecStackdEvenWhenTheManifestIsInvalid) {
  EXPECT_EQ(daemon_url("127.0.0.1", 9321), "http://127.0.0.1:9321");
  EXPECT_EQ(daemon_url("0.0.0.0", 29321), "http://127.0.0.1:29321");
  EXPECT_EQ(daemon_url("::1", 9321), "http://[::1]:9321");
  auto dir = std::filesystem::temp_directory_path() / ("stackd-daemon-address-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  auto path = (dir / "stack.yaml").string();
  const std::string head = "apiVersion: stackd.dev/v1alpha1\nkind: MonitoringStack\nmetadata: {name: demo}\nspec:\n"
                           "  network: host\n  nodeExporter: {port: 9100}\n  stackd: {port: 29321}\n";
  std::ofstream(path) << head;
  EXPECT_EQ(daemon_url_of_manifest(path), "http://127.0.0.1:29321");
  EXPECT_EQ(daemon_url_for(""), "http://127.0.0.1:9321") << "spec.stackd's defaults";
  std::ofstream(path) << head << "  bogus: 1\n";  // mid-edit: the daemon still serves its last good revision
  EXPECT_EQ(daemon_url_of_manifest(path), "http://127.0.0.1:29321");
  std::ofstream(path) << "spec: [unclosed\n";
  EXPECT_THROW(daemon_url_of_manifest(path), std::runtime_error);
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace stackd::cli

// The daemon's runtime as `stackd run` wires it (the manager, the registered
// reconcilers, the Docker event source), against the in-memory engine: every
// test asserts on what the engine holds.
#include "controller/setup.hpp"
#include "controller/configs_refused_before_changes.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <random>

#include "api/v1alpha1/labels.hpp"
#include "clients/docker/fake_engine.hpp"
#include "controller/snapshot/file_snapshot_loader.hpp"
#include "runtime/fake_clock.hpp"
#include "runtime/sources.hpp"

namespace stackd::controller {
namespace {

namespace net = boost::asio;
using namespace std::chrono_literals;
using docker::FakeEngine;
namespace fs = std::filesystem;

std::string manifest_text(const std::string& name, const std::string& node_args = "[]") {
  return "apiVersion: stackd.dev/v1alpha1\nkind: MonitoringStack\nmetadata: {name: " + name +
         "}\nspec:\n  network: host\n"
         "  prometheus:\n    image: prom/prometheus:v2.53.2\n    port: 19090\n"
         "  grafana:\n    enabled: false\n"
         "  ollama:\n    enabled: false\n"
         "  nodeExporter:\n    image: prom/node-exporter:v1.8.2\n    port: 19100\n    args: " +
         node_args + "\n";
}

// What the file watcher does on an edit, done by the test under fake time.
struct ManualSource final : runtime::Source {
  runtime::Enqueue enqueue;
  std::string_view name() const override { return "manual"; }
  void start(runtime::Enqueue e) override { enqueue = std::move(e); }
  void stop() override {}
};

struct DaemonOnTheInMemoryEngine : ::testing::Test {
  net::io_context io;
  runtime::FakeClock clock;
  runtime::FakeRandom random;
  metrics::Registry registry;
  FakeEngine engine;
  fs::path dir;
  std::unique_ptr<snapshot::FileSnapshotLoader> loader;
  std::unique_ptr<runtime::Manager> manager;
  ManualSource* edits = nullptr;
  std::optional<int> exit_code;

  void SetUp() override {
    dir = fs::temp_directory_path() / ("stackd-setup-test-" + std::to_string(std::random_device{}()));
    fs::create_directories(dir / "state");
    engine.add_image("prom/prometheus:v2.53.2");
    engine.add_image("prom/node-exporter:v1.8.2");
  }
  void TearDown() override {
    if (manager && !exit_code) {
      manager->stop();
      advance(5s);
    }
    fs::remove_all(dir);
  }
  void write_manifest(const std::string& text) { std::ofstream(dir / "stack.yaml") << text; }

  void start(const std::string& text) { start(text, (dir / "state").string()); }
  void start(const std::string& text, const std::string& state_dir) {
    write_manifest(text);
    snapshot::SnapshotOptions options{.state_dir = state_dir, .own_image = "stackd:test"};
    loader = std::make_unique<snapshot::FileSnapshotLoader>((dir / "stack.yaml").string(), options);
    runtime::ManagerOptions o;
    o.serve_http = false;
    manager = std::make_unique<runtime::Manager>(io.get_executor(), clock, random, registry, *loader, o);
    register_reconcilers(*manager, io.get_executor(), engine, registry);
    manager->add(std::make_unique<runtime::DockerEventSource>(io.get_executor(), clock, random, engine, registry));
    auto manual = std::make_unique<ManualSource>();
    edits = manual.get();
    manager->add(std::move(manual));
    net::co_spawn(io, manager->run(), [this](std::exception_ptr e, int rc) {
      if (e) std::rethrow_exception(e);
      exit_code = rc;
    });
    advance(2s);
  }
  // Lets fake time pass in small steps, running whatever became ready.
  void advance(runtime::Duration total) {
    for (runtime::Duration step = 50ms, done{}; done < total; done += step) {
      for (int i = 0; i < 20; ++i) io.poll();
      clock.advance(step);
    }
    for (int i = 0; i < 20; ++i) io.poll();
  }
  const FakeEngine::Container* running(const std::string& name) {
    auto* c = engine.find(name);
    return c && c->running() ? c : nullptr;
  }
  std::size_t ours() const {
    std::size_t n = 0;
    for (const auto& c : engine.containers())
      if (c.labels.count(labels::kManagedBy)) ++n;
    return n;
  }
  bool condition_true(const std::string& type) {
    const auto status = manager->status();
    for (const auto& c : status["conditions"])
      if (c["type"] == type) return c["status"] == "True";
    return false;
  }
  bool ready() { return condition_true("Ready"); }
};

TEST_F(DaemonOnTheInMemoryEngine, ConvergesFromNothingAndIsReady) {
  start(manifest_text("demo"));
  ASSERT_NE(running("demo-prometheus"), nullptr);
  ASSERT_NE(running("demo-node-exporter"), nullptr);
  EXPECT_EQ(ours(), 2u);
  EXPECT_TRUE(engine.volumes().count("demo-prometheus-data"));
  EXPECT_TRUE(ready()) << manager->status().dump();
}

// Without a state directory there is no record of the stacks a manifest
// managed (so no rename clean-up), and nothing lands in the working directory.
TEST_F(DaemonOnTheInMemoryEngine, WithoutAStateDirectoryWritesNothingWhereItRuns) {
  const auto cwd = fs::current_path();
  fs::create_directories(dir / "cwd");
  fs::current_path(dir / "cwd");
  start(manifest_text("demo"), "");
  fs::current_path(cwd);
  ASSERT_NE(running("demo-prometheus"), nullptr);
  EXPECT_TRUE(ready()) << manager->status().dump();
  EXPECT_TRUE(fs::is_empty(dir / "cwd")) << fs::directory_iterator(dir / "cwd")->path();
}

TEST_F(DaemonOnTheInMemoryEngine, RepairsARemovedAStoppedAndAKilledContainer) {
  start(manifest_text("demo"));
  ASSERT_NE(running("demo-node-exporter"), nullptr);

  auto id = engine.find("demo-node-exporter")->id;
  net::co_spawn(io, engine.remove_container(id, true), net::detached);
  advance(2s);
  ASSERT_NE(running("demo-node-exporter"), nullptr);
  EXPECT_NE(engine.find("demo-node-exporter")->id, id) << "created anew";

  id = engine.find("demo-node-exporter")->id;
  net::co_spawn(io, engine.stop_container(id, 1), net::detached);
  advance(2s);
  ASSERT_NE(running("demo-node-exporter"), nullptr) << "a stopped container is started again";
  EXPECT_EQ(engine.find("demo-node-exporter")->id, id) << "started, not recreated";

  engine.kill_container("demo-node-exporter");
  advance(2s);
  ASSERT_NE(running("demo-node-exporter"), nullptr) << "a killed container is started again";
  EXPECT_EQ(engine.find("demo-node-exporter")->id, id);
  EXPECT_EQ(ours(), 2u);
}

TEST_F(DaemonOnTheInMemoryEngine, AManifestEditRecreatesOnlyTheChangedComponent) {
  start(manifest_text("demo"));
  auto prom_id = engine.find("demo-prometheus")->id;
  auto node_id = engine.find("demo-node-exporter")->id;
  write_manifest(manifest_text("demo", "[\"--collector.disable-defaults\"]"));
  edits->enqueue.key(std::string(runtime::kManifestKey));
  advance(2s);
  ASSERT_NE(running("demo-node-exporter"), nullptr);
  EXPECT_NE(engine.find("demo-node-exporter")->id, node_id);
  EXPECT_EQ(engine.find("demo-prometheus")->id, prom_id);
  EXPECT_EQ(ours(), 2u);
}

TEST_F(DaemonOnTheInMemoryEngine, AnInvalidEditKeepsTheRunningStack) {
  start(manifest_text("demo"));
  auto node_id = engine.find("demo-node-exporter")->id;
  write_manifest(manifest_text("demo") + "  bogusField: 1\n");
  edits->enqueue.key(std::string(runtime::kManifestKey));
  advance(2s);
  ASSERT_NE(running("demo-node-exporter"), nullptr);
  EXPECT_EQ(engine.find("demo-node-exporter")->id, node_id);
  EXPECT_NE(running("demo-prometheus"), nullptr);
  EXPECT_EQ(ours(), 2u);
  EXPECT_TRUE(condition_true("Degraded")) << manager->status().dump();
}

TEST_F(DaemonOnTheInMemoryEngine, RenamingTheStackRemovesTheOldStacksContainers) {
  start(manifest_text("old"));
  ASSERT_NE(running("old-prometheus"), nullptr);
  write_manifest(manifest_text("new"));
  edits->enqueue.key(std::string(runtime::kManifestKey));
  advance(3s);
  EXPECT_NE(running("new-prometheus"), nullptr);
  EXPECT_NE(running("new-node-exporter"), nullptr);
  EXPECT_EQ(engine.find("old-prometheus"), nullptr);
  EXPECT_EQ(engine.find("old-node-exporter"), nullptr);
  EXPECT_EQ(ours(), 2u);
}

// The daemon judges a raw Alertmanager config with the image's amtool before
// it creates the container (as `apply` does: the same registration), and
// creates it once the file is fixed.
TEST_F(DaemonOnTheInMemoryEngine, ARawAlertmanagerConfigTheImagesAmtoolRefusesCreatesNoContainer) {
  engine.add_image("prom/alertmanager:v0.27.0");
  // The image's amtool as the real one answers; the component's own
  // container (no entrypoint of its own) runs Alertmanager.
  engine.set_image_behaviour("prom/alertmanager:v0.27.0",
                             {.runs_to_completion = [](const FakeEngine::Container& c)
                                  -> std::optional<std::pair<int, std::string>> {
                                if (c.create_body.value("Entrypoint", nlohmann::json::array()).empty()) return std::nullopt;
                                const std::string path = "/etc/alertmanager/stackd/alertmanager.yml";
                                auto f = c.files.find(path);
                                if (f != c.files.end() && f->second.content.find("receiver: pager") != std::string::npos)
                                  return std::pair<int, std::string>{
                                      1, "Checking '" + path + "'  FAILED: undefined receiver \"pager\" used in route\n"};
                                return std::pair<int, std::string>{0, "Checking '" + path + "'  SUCCESS\n"};
                              }});
  fs::create_directories(dir / "alertmanager");
  std::ofstream(dir / "alertmanager/custom.yml")
      << "route:\n  receiver: ops\n  routes:\n    - matchers: ['severity=\"critical\"']\n      receiver: pager\n"
         "receivers:\n  - name: ops\n";
  const auto text = manifest_text("demo") +
                    "  alertmanager:\n    image: prom/alertmanager:v0.27.0\n    port: 19093\n"
                    "    configFile: alertmanager/custom.yml\n";
  start(text);
  ASSERT_NE(running("demo-prometheus"), nullptr);
  EXPECT_EQ(engine.find("demo-alertmanager"), nullptr);
  EXPECT_EQ(engine.find("demo-alertmanager-config-check"), nullptr);
  EXPECT_TRUE(condition_true("Degraded")) << manager->status().dump();
  EXPECT_NE(manager->status().dump().find("alertmanager/custom.yml:5:17: undefined receiver \\\"pager\\\" used in route"),
            std::string::npos)
      << manager->status().dump();

  std::ofstream(dir / "alertmanager/custom.yml") << "route:\n  receiver: ops\nreceivers:\n  - name: ops\n";
  edits->enqueue.key(std::string(runtime::kManifestKey));
  advance(5s);
  ASSERT_NE(running("demo-alertmanager"), nullptr) << manager->status().dump();
  EXPECT_EQ(engine.find("demo-alertmanager-config-check"), nullptr);
}

// spec.gpu.vendor: nvidia on an engine without the NVIDIA container toolkit:
// the engine creates the exporter and refuses to start it. The rest of the
// stack converges, the stack is Degraded with GPUUnavailable and the fix,
// and the refused start is not tried again until something changes; once
// the engine has the toolkit (it restarts, so the event stream reconnects)
// the exporter runs.
TEST_F(DaemonOnTheInMemoryEngine, AGpuTheEngineCannotGiveIsDegradedNotRetriedInALoop) {
  engine.add_image("nvcr.io/nvidia/k8s/dcgm-exporter:4.5.3-4.8.2-distroless");
  start(manifest_text("demo") + "  gpu: {vendor: nvidia}\n");
  ASSERT_NE(running("demo-prometheus"), nullptr);
  ASSERT_NE(running("demo-node-exporter"), nullptr);
  const auto* gpu = engine.find("demo-gpu-exporter");
  ASSERT_NE(gpu, nullptr);
  EXPECT_EQ(gpu->status, "created");
  EXPECT_EQ(gpu->error, "could not select device driver \"nvidia\" with capabilities: [[gpu]]");
  const auto status = manager->status();
  bool degraded = false;
  for (const auto& c : status["conditions"])
    if (c["type"] == "Degraded") {
      degraded = c["status"] == "True" && c["reason"] == "GPUUnavailable";
      EXPECT_NE(c["message"].get<std::string>().find("install the NVIDIA container toolkit"), std::string::npos) << c;
      EXPECT_NE(c["message"].get<std::string>().find("spec.gpu.vendor: none"), std::string::npos) << c;
    }
  EXPECT_TRUE(degraded) << status.dump();
  EXPECT_FALSE(ready());
  // The first pass and the one its own create event queued: one create, two
  // refused starts; then nothing for a minute.
  EXPECT_EQ(engine.calls("create_container"), 3);  // prometheus, node-exporter, the exporter
  const int starts = engine.calls("start_container");
  EXPECT_EQ(starts, 2 + 2);  // prometheus, node-exporter, the exporter twice
  advance(60s);
  EXPECT_EQ(engine.calls("start_container"), starts) << "a refused start is not retried in a loop";
  EXPECT_EQ(engine.calls("create_container"), 3);

  engine.set_device_drivers({"nvidia"});
  engine.close_event_streams();  // the engine restarted with the toolkit
  advance(5s);
  ASSERT_NE(running("demo-gpu-exporter"), nullptr) << manager->status().dump();
  EXPECT_EQ(engine.calls("create_container"), 3) << "started, not created again";
  EXPECT_TRUE(ready()) << manager->status().dump();
}

// apply judges a raw config before it changes anything only for a container
// it will make: one that is missing or runs another spec.
TEST(ConfigsRefusedBeforeChanges, OnlyAContainerTheApplyMakesIsJudged) {
  desired::ContainerSpec spec;
  spec.spec_hash = "new";
  EXPECT_TRUE(made_by_apply(spec, nullptr));
  docker::ContainerInfo running;
  EXPECT_TRUE(made_by_apply(spec, &running)) << "no spec hash: not made by this stackd";
  running.labels[labels::kSpecHash] = "old";
  EXPECT_TRUE(made_by_apply(spec, &running));
  running.labels[labels::kSpecHash] = "new";
  EXPECT_FALSE(made_by_apply(spec, &running));
}

}  // namespace
}  // namespace stackd::controller

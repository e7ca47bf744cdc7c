// The config key of Prometheus ("config/prometheus", the live-config
// reconciler under Prometheus's policy) against the in-memory engine (the
// Prometheus container and its files) and a stand-in for Prometheus's own
// HTTP API on loopback (/metrics with the reload gauges, POST /-/reload),
// under fake time. Every test asserts on what the engine's container holds
// and on what the stand-in Prometheus was made to load. The real Prometheus
// and promtool are in tests/prometheus (prometheus_reload_integration) and
// the e2e suites.
#include "reconcilers/live_config/live_config_reconciler.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <future>
#include <random>
#include <thread>

#include "api/v1alpha1/labels.hpp"
#include "api/v1alpha1/loader.hpp"
#include "clients/docker/fake_engine.hpp"
#include "desired/prometheus/prometheus_config.hpp"
#include "desired/render.hpp"
#include "reconcilers/containers/container_reconciler.hpp"
#include "runtime/fake_clock.hpp"
#include "runtime/http_endpoints.hpp"

namespace stackd::live_config {
namespace {

namespace net = boost::asio;
namespace fs = std::filesystem;
using docker::FakeEngine;
using runtime::ReconcileError;

constexpr const char* kImage = "prom/prometheus:v2.53.2";
const std::string kRulesPath = "/etc/prometheus/stackd/rules/alerts.yml";
const std::string kUserRulesPath = "alerts.yml";  // the manifest's `rules: [alerts.yml]`, as users name it
const std::string kStagedRulesPath = "/etc/prometheus/stackd-staging/rules/alerts.yml";
const std::string kMarkerPath = "/etc/prometheus/stackd/.stackd-loaded";

std::string rules(const std::string& record) {
  return "groups:\n  - name: g\n    rules:\n      - record: " + record + "\n        expr: sum(up)\n";
}

// Prometheus's reload API as it behaves: POST /-/reload answers once the
// files are applied (200) or refused (500), and the gauges on /metrics say
// so. What it "loaded" is a copy of the rules file the container held at
// that moment.
class StandInPrometheus {
 public:
  explicit StandInPrometheus(FakeEngine& engine) : engine_(engine) {
    runtime::EndpointHandlers h;
    h.metrics = [this] {
      std::lock_guard lock(mu_);
      return "prometheus_config_last_reload_successful " + std::string(successful_ ? "1" : "0") +
             "\nprometheus_config_last_reload_success_timestamp_seconds " + std::to_string(success_ts_) + "\n";
    };
    h.routes[{boost::beast::http::verb::post, "/-/reload"}] = [this](const runtime::HttpRequest&) {
      std::lock_guard lock(mu_);
      if (refuse_) {
        successful_ = false;
        return runtime::RouteResponse{500, "text/plain", "failed to reload config: refused by the test\n"};
      }
      // The engine is single-threaded: the reconciler waits for this answer,
      // so nothing else touches it now.
      const auto* c = engine_.find("demo-prometheus");
      loaded_rules_ = c && c->files.count(kRulesPath) ? c->files.at(kRulesPath).content : "";
      successful_ = true;
      success_ts_ += 1;
      ++reloads_;
      return runtime::RouteResponse{200, "text/plain", ""};
    };
    server_ = std::make_unique<runtime::HttpEndpoints>(io_.get_executor(),
                                                       runtime::HttpEndpointsConfig{.address = "127.0.0.1", .port = 0},
                                                       std::move(h));
    server_->start();
    port_ = server_->local_endpoint().port();
    work_.emplace(io_.get_executor());
    thread_ = std::thread([this] { io_.run(); });
  }
  ~StandInPrometheus() {
    net::post(io_, [this] { server_->stop(); });
    work_.reset();
    io_.stop();
    thread_.join();
  }
  std::uint16_t port() const { return port_; }
  void refuse(bool r) {
    std::lock_guard lock(mu_);
    refuse_ = r;
  }
  int reloads() const {
    std::lock_guard lock(mu_);
    return reloads_;
  }
  std::string loaded_rules() const {
    std::lock_guard lock(mu_);
    return loaded_rules_;
  }

 private:
  FakeEngine& engine_;
  net::io_context io_;
  std::optional<net::executor_work_guard<net::io_context::executor_type>> work_;
  std::unique_ptr<runtime::HttpEndpoints> server_;
  std::thread thread_;
  std::uint16_t port_ = 0;
  mutable std::mutex mu_;
  bool refuse_ = false;
  bool successful_ = true;
  double success_ts_ = 1000;
  int reloads_ = 0;
  std::string loaded_rules_;
};

// Runs a coroutine on `io` under fake time: whenever nothing is runnable,
// time jumps to the next timer (the settle look after a start, a retry).
template <class T>
T drive(net::io_context& io, runtime::FakeClock& clock, net::awaitable<T> work) {
  auto fut = net::co_spawn(io, std::move(work), net::use_future);
  for (;;) {
    io.restart();
    io.poll();
    if (fut.wait_for(std::chrono::milliseconds(0)) == std::future_status::ready) return fut.get();
    if (!clock.advance_to_next()) io.run_one_for(std::chrono::milliseconds(10));  // real I/O (loopback HTTP)
  }
}

struct PrometheusConfigReconcilerTest : ::testing::Test {
  net::io_context io;
  runtime::FakeClock clock;
  metrics::Registry registry;
  FakeEngine engine;
  StandInPrometheus prometheus{engine};
  containers::ContainerReconciler containers{engine, registry};
  LiveConfigReconciler reconciler{engine, registry, fast_options()};
  static constexpr const char* kKey = "config/prometheus";
  fs::path dir = fs::temp_directory_path() / ("stackd-promcfg-test-" + std::to_string(std::random_device{}()));
  desired::SnapshotPtr snapshot;
  std::vector<std::vector<std::string>> checks;  // promtool command lines run in the container
  bool promtool_killed = false;                    // the container is killed under promtool

  static ReloadOptions fast_options() {
    ReloadOptions o;
    o.confirm_timeout = std::chrono::milliseconds(500);
    return o;
  }

  void SetUp() override {
    fs::create_directories(dir);
    engine.add_image(kImage);
    engine.set_exec_script([this](const FakeEngine::Container& c, const std::vector<std::string>& cmd) {
      checks.push_back(cmd);
      // promtool's verdict on what is staged: a rule without a closing parenthesis fails.
      if (promtool_killed) return docker::ExecResult{137, ""};
      auto staged = c.files.find(kStagedRulesPath);
      if (staged != c.files.end() && staged->second.content.find("sum(up\n") != std::string::npos)
        return docker::ExecResult{1, "FAILED: " + kStagedRulesPath + ": 5:15: unclosed left parenthesis\n"};
      return docker::ExecResult{0, "SUCCESS\n"};
    });
  }
  void TearDown() override { fs::remove_all(dir); }

  // A new revision of the manifest with this rules file.
  void edit(const std::string& rules_text) {
    std::ofstream(dir / "alerts.yml") << rules_text;
    std::ofstream(dir / "stack.yaml") << "apiVersion: stackd.dev/v1alpha1\nkind: MonitoringStack\nmetadata: {name: demo}\n"
                                         "spec:\n  network: host\n  prometheus:\n    image: "
                                      << kImage << "\n    port: " << prometheus.port()
                                      << "\n    rules: [alerts.yml]\n  grafana: {enabled: false}\n"
                                         "  nodeExporter: {enabled: false}\n  ollama: {enabled: false}\n";
    manifest::LoadOptions o;
    o.env = [](const std::string&) -> std::optional<std::string> { return std::nullopt; };
    auto s = std::make_shared<desired::Snapshot>();
    s->manifest = manifest::load((dir / "stack.yaml").string(), o);
    s->revision = s->manifest.revision;
    s->desired = desired::render(s->manifest, {});
    snapshot = s;
  }

  runtime::Result reconcile(runtime::Reconciler& r, const std::string& key) {
    runtime::Context ctx{.snapshot = snapshot, .clock = clock, .progress = [](const std::string&) {}};
    runtime::Request request{key};
    return drive(io, clock, r.reconcile(request, ctx));
  }
  // The ReconcileError a pass of the prometheus-config key ends with.
  ReconcileError failure() {
    try {
      reconcile(reconciler, kKey);
    } catch (const ReconcileError& e) {
      return e;
    }
    ADD_FAILURE() << "the pass succeeded";
    return ReconcileError("none", "");
  }

  const FakeEngine::Container& container() const { return *engine.find("demo-prometheus"); }
  std::string held(const std::string& path) const {
    auto it = container().files.find(path);
    return it == container().files.end() ? "<absent>" : it->second.content;
  }
  std::string state() const {
    std::vector<runtime::ComponentReport> out;
    reconciler.describe(out);
    return out.empty() ? "<none>" : out.front().state;
  }
  double reload_count(const std::string& result) { return registry.counter("stackd_prometheus_reload_total", "", {"result"}).with({result}).value(); }

  // The stack as `apply` leaves it: the infrastructure pass made the data
  // volumes (with stackd's labels), the container reconciler made Prometheus.
  void created_with(const std::string& rules_text) {
    edit(rules_text);
    for (const auto& v : snapshot->desired.volumes) {
      auto labels = labels::owner_labels(snapshot->manifest.name);
      labels[labels::kComponent] = std::string(manifest::to_string(v.component));
      drive(io, clock, engine.create_volume(v.name, labels));
    }
    reconcile(containers, "container/prometheus");
    ASSERT_TRUE(container().running());
  }
};

TEST_F(PrometheusConfigReconcilerTest, AFreshContainerIsUnchangedWithoutAReloadOrADownload) {
  created_with(rules("first:up"));
  EXPECT_EQ(held(kRulesPath), rules("first:up"));
  auto downloads = engine.calls("get_archive");
  reconcile(reconciler, kKey);
  EXPECT_EQ(state(), "unchanged");
  EXPECT_EQ(reload_count("unchanged"), 1);
  EXPECT_EQ(prometheus.reloads(), 0) << "a Prometheus that is just starting is not reloaded";
  EXPECT_TRUE(checks.empty());
  EXPECT_EQ(engine.calls("get_archive"), downloads) << "unchanged is decided by path stats";
}

TEST_F(PrometheusConfigReconcilerTest, ARuleEditIsCheckedSwappedReloadedAndMarked) {
  created_with(rules("first:up"));
  reconcile(reconciler, kKey);
  const auto id = container().id;
  const auto started = container().started_at;

  edit(rules("second:up"));
  reconcile(containers, "container/prometheus");  // the container itself: nothing to do
  EXPECT_EQ(held(kRulesPath), rules("first:up")) << "the container reconciler leaves live files to the config key";
  auto downloads = engine.calls("get_archive");
  reconcile(reconciler, kKey);

  EXPECT_EQ(state(), "reloaded");
  EXPECT_EQ(held(kRulesPath), rules("second:up"));
  EXPECT_EQ(held(kStagedRulesPath), rules("second:up")) << "checked where it was staged";
  ASSERT_EQ(checks.size(), 1u);
  EXPECT_EQ(checks[0], (std::vector<std::string>{"/bin/promtool", "check", "config",
                                                 "/etc/prometheus/stackd-staging/prometheus.yml"}));
  EXPECT_EQ(prometheus.loaded_rules(), rules("second:up"));
  EXPECT_EQ(held(kMarkerPath), files_hash(snapshot->desired.live_set(desired::LiveSet::PrometheusConfig)->files));
  EXPECT_EQ(container().id, id);
  EXPECT_EQ(container().started_at, started) << "a rule edit never restarts Prometheus";
  EXPECT_EQ(engine.calls("get_archive"), downloads) << "the last good files were known: nothing downloaded";
  EXPECT_EQ(reload_count("reloaded"), 1);

  // The same revision again: unchanged, no second reload.
  reconcile(reconciler, kKey);
  EXPECT_EQ(state(), "unchanged");
  EXPECT_EQ(prometheus.reloads(), 1);
}

// A container with a shell: promtool and the swap run as one exec. The fake
// runs no shell; it answers that the check passed and a rename failed, the
// one case the reconciler must finish itself: the files are then uploaded.
TEST_F(PrometheusConfigReconcilerTest, WithAShellTheCheckAndTheSwapAreOneExecAndAFailedRenameFallsBackToAnUpload) {
  created_with(rules("first:up"));
  reconcile(reconciler, kKey);
  engine.write_file("demo-prometheus", "/bin/sh", "#!", 0755);
  engine.set_exec_script([this](const FakeEngine::Container&, const std::vector<std::string>& cmd) {
    checks.push_back(cmd);
    return docker::ExecResult{125, "mv: cannot move: Permission denied\n"};
  });

  edit(rules("second:up"));
  reconcile(reconciler, kKey);

  ASSERT_EQ(checks.size(), 1u);
  const auto& cmd = checks[0];
  ASSERT_GE(cmd.size(), 8u);
  EXPECT_EQ(std::vector<std::string>(cmd.begin(), cmd.begin() + 2), (std::vector<std::string>{"/bin/sh", "-c"}));
  EXPECT_EQ(std::vector<std::string>(cmd.end() - 4, cmd.end()),
            (std::vector<std::string>{"/bin/promtool", "check", "config", "/etc/prometheus/stackd-staging/prometheus.yml"}))
      << "the checker is the script's \"$@\"";
  EXPECT_NE(cmd[2].find("mv -f '/etc/prometheus/stackd-staging/rules/alerts.yml' '/etc/prometheus/stackd/rules/alerts.yml'"),
            std::string::npos)
      << cmd[2];
  EXPECT_EQ(state(), "reloaded");
  EXPECT_EQ(held(kRulesPath), rules("second:up")) << "uploaded after the rename failed";
  EXPECT_EQ(prometheus.loaded_rules(), rules("second:up"));
}

TEST_F(PrometheusConfigReconcilerTest, ARuleThatPromtoolRejectsLeavesTheLiveFilesAndWaitsForAnEdit) {
  created_with(rules("first:up"));
  edit("groups:\n  - name: g\n    rules:\n      - record: broken:up\n        expr: sum(up\n");
  auto e = failure();
  EXPECT_EQ(e.reason(), "PrometheusConfigRejected");
  EXPECT_EQ(e.retry(), ReconcileError::Retry::Never);
  const std::string said = e.what();
  EXPECT_EQ(said.rfind(kUserRulesPath + ":5:15: unclosed left parenthesis", 0), 0)
      << "promtool's message first, in the user's file: " << said;
  EXPECT_EQ(said.find("/etc/prometheus"), std::string::npos) << "no path inside the container: " << said;
  EXPECT_EQ(held(kRulesPath), rules("first:up"));
  EXPECT_EQ(prometheus.reloads(), 0);
  EXPECT_EQ(state(), "rejected");
  EXPECT_EQ(reload_count("rejected"), 1);

  // Fixed: goes through.
  edit(rules("fixed:up"));
  reconcile(reconciler, kKey);
  EXPECT_EQ(held(kRulesPath), rules("fixed:up"));
  EXPECT_EQ(prometheus.loaded_rules(), rules("fixed:up"));
}

TEST_F(PrometheusConfigReconcilerTest, FilesPrometheusRefusesAreRolledBack) {
  created_with(rules("first:up"));
  reconcile(reconciler, kKey);  // learns what runs
  const auto first_marker = held(kMarkerPath);
  prometheus.refuse(true);
  edit(rules("second:up"));
  auto e = failure();
  EXPECT_EQ(e.reason(), "PrometheusReloadFailed");
  EXPECT_EQ(e.retry(), ReconcileError::Retry::Never);
  EXPECT_NE(std::string(e.what()).find("refused by the test"), std::string::npos) << e.what();
  EXPECT_EQ(held(kRulesPath), rules("first:up")) << "the last good files are back";
  EXPECT_EQ(state(), "rolled_back");
  EXPECT_EQ(reload_count("rolled_back"), 1);

  prometheus.refuse(false);
  edit(rules("third:up"));
  reconcile(reconciler, kKey);
  EXPECT_EQ(prometheus.loaded_rules(), rules("third:up"));
  EXPECT_NE(held(kMarkerPath), first_marker);
}

TEST_F(PrometheusConfigReconcilerTest, AMissingOrForeignContainerIsRetriedWithBackoffAndNotTouched) {
  edit(rules("first:up"));
  auto missing = failure();
  EXPECT_EQ(missing.reason(), "PrometheusNotRunning");
  EXPECT_EQ(missing.retry(), ReconcileError::Retry::Backoff);
  EXPECT_EQ(state(), "missing");

  engine.add_container("demo-prometheus", {}, kImage);
  auto foreign = failure();
  EXPECT_EQ(foreign.reason(), "PrometheusNotRunning");
  EXPECT_EQ(state(), "foreign");
  EXPECT_TRUE(container().files.empty()) << "nothing is put into a container stackd does not own";
  EXPECT_EQ(prometheus.reloads(), 0);
}

TEST_F(PrometheusConfigReconcilerTest, AStoppedPrometheusIsRetriedWithBackoff) {
  created_with(rules("first:up"));
  engine.kill_container("demo-prometheus");
  edit(rules("second:up"));
  auto e = failure();
  EXPECT_EQ(e.reason(), "PrometheusNotRunning");
  EXPECT_EQ(e.retry(), ReconcileError::Retry::Backoff);
  EXPECT_EQ(held(kRulesPath), rules("first:up"));
}

TEST_F(PrometheusConfigReconcilerTest, APromtoolKilledWithItsContainerIsNoVerdictAndIsRetried) {
  created_with(rules("first:up"));
  edit(rules("second:up"));
  promtool_killed = true;
  auto e = failure();
  EXPECT_EQ(e.reason(), "PrometheusNotReady");
  EXPECT_EQ(e.retry(), ReconcileError::Retry::Backoff);
  EXPECT_EQ(held(kRulesPath), rules("first:up"));
  EXPECT_EQ(prometheus.reloads(), 0);
}

TEST_F(PrometheusConfigReconcilerTest, KeysFollowTheManifest) {
  edit(rules("first:up"));
  EXPECT_EQ(reconciler.keys(*snapshot), (std::vector<std::string>{"config/prometheus"}));
  EXPECT_EQ(reconciler.keys_for_component("prometheus"), (std::vector<std::string>{"config/prometheus"}));
  EXPECT_TRUE(reconciler.keys_for_component("grafana").empty());
}

// The plan `diff` shows is the reload this key then makes: one file, named
// after the user's, with its unified diff; nothing once it is done.
TEST_F(PrometheusConfigReconcilerTest, ThePlanShowsTheRuleEditItThenReloads) {
  created_with(rules("first:up"));
  reconcile(reconciler, kKey);
  edit(rules("second:up"));
  auto plan = [&] {
    runtime::Context ctx{.snapshot = snapshot, .clock = clock, .progress = {}};
    runtime::Request request{kKey};
    return drive(io, clock, reconciler.plan(request, ctx));
  };
  auto changes = plan();
  ASSERT_EQ(changes.size(), 1u);
  EXPECT_EQ(changes[0].object, runtime::ObjectKind::File);
  EXPECT_EQ(changes[0].action, runtime::Action::Reload);
  EXPECT_EQ(changes[0].name, "alerts.yml");
  EXPECT_FALSE(changes[0].outside);
  EXPECT_NE(changes[0].diff.find("-      - record: first:up\n+      - record: second:up\n"), std::string::npos)
      << changes[0].diff;
  EXPECT_EQ(held(kRulesPath), rules("first:up")) << "a plan changes nothing";
  EXPECT_EQ(prometheus.reloads(), 0);
  reconcile(reconciler, kKey);
  EXPECT_EQ(held(kRulesPath), rules("second:up"));
  EXPECT_TRUE(plan().empty());

  // Edited inside the container: drift, shown apart.
  engine.write_file("demo-prometheus", kRulesPath, rules("hand:up"));
  changes = plan();
  ASSERT_EQ(changes.size(), 1u);
  EXPECT_TRUE(changes[0].outside);
  EXPECT_NE(changes[0].reason.find("edited inside container prometheus"), std::string::npos) << changes[0].reason;
}

}  // namespace
}  // namespace stackd::live_config

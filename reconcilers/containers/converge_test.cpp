// make_plan / make_component_plan / apply_plan against the in-memory engine:
// every test asserts on what the engine holds afterwards.
#include <gtest/gtest.h>

#include <algorithm>
#include <future>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>

#include "api/v1alpha1/labels.hpp"
#include "api/v1alpha1/loader.hpp"
#include "clients/docker/fake_engine.hpp"
#include "clients/docker/run_blocking.hpp"
#include "common/metrics/metrics.hpp"
#include "reconcilers/containers/apply.hpp"
#include "reconcilers/containers/container_reconciler.hpp"
#include "reconcilers/containers/previous_kept.hpp"
#include "reconcilers/containers/plan.hpp"
#include "desired/render.hpp"
#include "runtime/fake_clock.hpp"

using namespace stackd;
using namespace stackd::containers;
using namespace stackd::labels;
using docker::FakeEngine;
using desired::VolumeSpec;

namespace {

std::string manifest_text(const std::string& prometheus_image = "prom/prometheus:v2.53.2", bool node_exporter = true,
                          const std::string& prometheus_extra = "") {
  return "apiVersion: stackd.dev/v1alpha1\nkind: MonitoringStack\nmetadata: {name: demo}\nspec:\n  network: host\n"
         "  prometheus:\n    image: " +
         prometheus_image + "\n    port: 19090\n" + prometheus_extra +
         "  grafana:\n    image: grafana/grafana:11.3.0\n    port: 13000\n"
         "  nodeExporter:\n    image: prom/node-exporter:v1.8.2\n    port: 19100\n    enabled: " +
         (node_exporter ? "true" : "false") + "\n";
}

DesiredState desired_state(const std::string& text = manifest_text()) {
  manifest::LoadOptions o;
  o.env = [](const std::string&) { return std::nullopt; };
  auto m = manifest::load_from_string(text, "/tmp/stack.yaml", o);
  return desired::render(m, desired::ResolvedValues{"pw-secret-value", "stackd:dev", "file:/tmp/stack.yaml"});
}

constexpr auto kPrometheus = ComponentKind::Prometheus;
constexpr auto kGrafana = ComponentKind::Grafana;
constexpr auto kNodeExporter = ComponentKind::NodeExporter;

// The plan as `diff` lists it, for failure messages.
std::string text(const Plan& plan) {
  std::string out;
  for (const auto& c : plan.to_changes())
    out += std::string(runtime::to_string(c.action)) + " " + std::string(runtime::to_string(c.object)) + " " + c.name +
           ": " + c.reason + "\n";
  return out;
}

void add_images(FakeEngine& e, const DesiredState& d) {
  for (const auto& c : d.containers) e.add_image(c.image);
}

ApplyOptions quiet() {
  ApplyOptions o;
  o.progress = [](const std::string&) {};
  // One look after a start: the fake's containers that exit do so at once,
  // and the real clock would make every recreate of the crash tests wait.
  o.start_grace = std::chrono::milliseconds(0);
  o.recreate_grace = std::chrono::milliseconds(0);
  return o;
}

ApplyResult converge(FakeEngine& e, const DesiredState& d, ApplyOptions o = quiet()) {
  auto plan = run_await(make_plan(e, d));
  return run_await(apply_plan(e, d, plan, o));
}

// A converge the engine may cut short (FakeEngine::crash_after): true when
// it ran to the end and converged.
bool converge_may_crash(FakeEngine& e, const DesiredState& d) {
  try {
    return converge(e, d).ok();
  } catch (const std::exception&) {
    return false;
  }
}

Plan plan_of(FakeEngine& e, const DesiredState& d) { return run_await(make_plan(e, d)); }

const ContainerSpec& spec(const DesiredState& d, ComponentKind component) {
  if (const auto* c = d.container(component)) return *c;
  throw std::runtime_error("no " + std::string(manifest::to_string(component)));
}

// Exactly one running container per desired component, under its own name,
// with the desired spec hash and every file delivered; nothing else of ours.
// `live_files_as_desired`: false where the config key, not the container
// reconciler, brings a running container's live files up to date.
void expect_converged_world(const FakeEngine& e, const DesiredState& d, bool live_files_as_desired = true) {
  std::size_t ours = 0;
  for (const auto& c : e.containers())
    if (c.labels.count(kManagedBy)) ++ours;
  EXPECT_EQ(ours, d.containers.size());
  for (const auto& s : d.containers) {
    auto* c = e.find(s.name);
    ASSERT_NE(c, nullptr) << s.name;
    EXPECT_EQ(c->name, s.name);
    EXPECT_TRUE(c->running()) << s.name << " is " << c->status;
    EXPECT_EQ(c->labels.at(kSpecHash), s.spec_hash) << s.name;
    EXPECT_EQ(c->labels.at(kComponent), manifest::to_string(s.component));
    // Its live files (and their markers) are delivered at create.
    auto files = s.files;
    if (live_files_as_desired)
      for (auto& f : d.live_files_of(s.component)) files.push_back(std::move(f));
    for (const auto& f : files) {
      auto it = c->files.find("/" + f.path);
      ASSERT_NE(it, c->files.end()) << s.name << " lacks /" << f.path;
      EXPECT_EQ(it->second.content, f.content) << f.path;
    }
    EXPECT_EQ(e.find(next_name(s.name)), nullptr) << "leftover " << next_name(s.name);
  }
  for (const auto& v : d.volumes) EXPECT_TRUE(e.volumes().count(v.name)) << v.name;
}

}  // namespace

TEST(Converge, FromEmptyCreatesEverythingThenPlansNothing) {
  FakeEngine e;
  auto d = desired_state();
  add_images(e, d);
  auto r = converge(e, d);
  ASSERT_TRUE(r.ok()) << r.first_error();
  expect_converged_world(e, d);
  EXPECT_EQ(e.volumes().at("demo-prometheus-data").labels.at(kComponent), "prometheus");
  EXPECT_EQ(e.volumes().at("demo-prometheus-data").labels.at(kStack), "demo");
  EXPECT_TRUE(plan_of(e, d).converged()) << text(plan_of(e, d));
  EXPECT_EQ(e.volumes().at("demo-prometheus-data").labels.at(kOrigin), d.origin) << "renames are found by origin";
}

TEST(Converge, NoOpChangesNothingAndDownloadsNothing) {
  FakeEngine e;
  auto d = desired_state();
  add_images(e, d);
  ASSERT_TRUE(converge(e, d).ok());
  auto before = e.containers();
  auto downloads = e.calls("get_archive");
  auto r = converge(e, d);
  ASSERT_TRUE(r.ok()) << r.first_error();
  auto after = e.containers();
  ASSERT_EQ(before.size(), after.size());
  for (std::size_t i = 0; i < before.size(); ++i) {
    EXPECT_EQ(before[i].id, after[i].id);
    EXPECT_EQ(before[i].started_at, after[i].started_at);
  }
  EXPECT_EQ(e.calls("get_archive"), downloads) << "a no-op plan must not download live files";
}

// Live files are the config key's once the container exists
// (reconcilers/live_config): an edit inside the container is not the
// container plan's business, and the plan reads no file for it.
TEST(Converge, LiveFilesAreLeftToTheConfigKey) {
  FakeEngine e;
  auto d = desired_state();
  add_images(e, d);
  ASSERT_TRUE(converge(e, d).ok());
  const auto& prom = spec(d, kPrometheus);
  const auto* live = d.live_set(desired::LiveSet::PrometheusConfig);
  ASSERT_NE(live, nullptr);
  ASSERT_TRUE(live->loaded_marker);
  // Created with the marker saying its files are what it loads at start.
  EXPECT_EQ(e.find(prom.name)->files.at("/" + live->loaded_marker->path).content, live->loaded_marker->content);
  const auto& config = live->files.front();
  e.write_file(prom.name, "/" + config.path, "global: {}\n# edited by hand\n");
  auto stats = e.calls("stat_path"), downloads = e.calls("get_archive");
  auto plan = plan_of(e, d);
  EXPECT_TRUE(plan.converged()) << text(plan);
  EXPECT_EQ(e.calls("stat_path"), stats);
  EXPECT_EQ(e.calls("get_archive"), downloads);
  ASSERT_TRUE(run_await(apply_plan(e, d, plan, quiet())).ok());
  EXPECT_EQ(e.find(prom.name)->files.at("/" + config.path).content, "global: {}\n# edited by hand\n");
}

TEST(Converge, ImageChangeRecreatesAndKeepsTheDataVolume) {
  FakeEngine e;
  auto d = desired_state();
  add_images(e, d);
  ASSERT_TRUE(converge(e, d).ok());
  auto old_id = e.find("demo-prometheus")->id;
  auto grafana_id = e.find("demo-grafana")->id;
  auto volume = e.volumes().at("demo-prometheus-data");

  auto d2 = desired_state(manifest_text("prom/prometheus:v2.54.0"));
  e.add_pullable_image("prom/prometheus:v2.54.0");
  auto plan = plan_of(e, d2);
  ASSERT_TRUE(plan.has(Action::Recreate)) << text(plan);
  // The change names what changed, old and new.
  auto changes = plan.to_changes();
  auto recreate = std::find_if(changes.begin(), changes.end(), [](const auto& c) { return c.action == Action::Recreate; });
  ASSERT_NE(recreate, changes.end());
  ASSERT_EQ(recreate->fields.size(), 1u) << text(plan);
  EXPECT_EQ(recreate->fields[0].path, "image");
  EXPECT_EQ(recreate->fields[0].old_value, "prom/prometheus:v2.53.2");
  EXPECT_EQ(recreate->fields[0].new_value, "prom/prometheus:v2.54.0");
  auto r = run_await(apply_plan(e, d2, plan, quiet()));
  ASSERT_TRUE(r.ok()) << r.first_error();
  expect_converged_world(e, d2);
  EXPECT_NE(e.find("demo-prometheus")->id, old_id);
  EXPECT_EQ(e.find(old_id), nullptr);
  EXPECT_EQ(e.find("demo-prometheus")->image, "prom/prometheus:v2.54.0");
  EXPECT_EQ(e.find("demo-grafana")->id, grafana_id) << "other components untouched";
  ASSERT_TRUE(e.volumes().count("demo-prometheus-data"));
  EXPECT_EQ(e.volumes().at("demo-prometheus-data").labels, volume.labels);
}

TEST(Converge, ForeignHolderOfTheNameIsAConflictAndUntouched) {
  FakeEngine e;
  auto d = desired_state();
  add_images(e, d);
  auto foreign = e.add_container("demo-prometheus", {{"owner", "someone"}}, "busybox");
  auto r = converge(e, d);
  EXPECT_FALSE(r.ok());
  EXPECT_NE(r.first_error().find("not managed by stackd"), std::string::npos) << r.first_error();
  auto* c = e.find("demo-prometheus");
  ASSERT_NE(c, nullptr);
  EXPECT_EQ(c->id, foreign);
  EXPECT_TRUE(c->running());
  EXPECT_EQ(c->image, "busybox");
  EXPECT_NE(e.find("demo-grafana"), nullptr) << "the other components converge anyway";
}

TEST(Converge, OrphanOfADisabledComponentIsRemoved) {
  FakeEngine e;
  auto d = desired_state();
  add_images(e, d);
  ASSERT_TRUE(converge(e, d).ok());
  ASSERT_NE(e.find("demo-node-exporter"), nullptr);
  auto d2 = desired_state(manifest_text("prom/prometheus:v2.53.2", /*node_exporter=*/false));
  auto r = converge(e, d2);
  ASSERT_TRUE(r.ok()) << r.first_error();
  EXPECT_EQ(e.find("demo-node-exporter"), nullptr);
  // Prometheus's scrape config without node-exporter is the config key's reload.
  expect_converged_world(e, d2, /*live_files_as_desired=*/false);
}

TEST(Converge, DuplicateOfAComponentIsRemovedAndTheCanonicalKept) {
  FakeEngine e;
  auto d = desired_state();
  add_images(e, d);
  ASSERT_TRUE(converge(e, d).ok());
  auto canonical = e.find("demo-grafana")->id;
  e.add_container("demo-grafana-copy", e.find("demo-grafana")->labels, "grafana/grafana:11.3.0");
  ASSERT_TRUE(converge(e, d).ok());
  EXPECT_EQ(e.find("demo-grafana-copy"), nullptr);
  EXPECT_EQ(e.find("demo-grafana")->id, canonical);
  expect_converged_world(e, d);
}

// managed-by and stack without component is not stackd's.
TEST(Converge, ContainerWithAnIncompleteLabelSetIsForeign) {
  FakeEngine e;
  auto d = desired_state();
  add_images(e, d);
  auto partial = e.add_container("demo-sidecar", {{kManagedBy, kManagedByValue}, {kStack, "demo"}}, "busybox");
  auto squatter = e.add_container("demo-node-exporter", {{kManagedBy, kManagedByValue}, {kStack, "demo"}}, "busybox");
  auto r = converge(e, d);
  EXPECT_FALSE(r.ok());
  EXPECT_NE(r.first_error().find("demo-node-exporter"), std::string::npos) << r.first_error();
  ASSERT_NE(e.find(partial), nullptr) << "apply removed a container without a component label";
  EXPECT_TRUE(e.find(partial)->running());
  ASSERT_NE(e.find(squatter), nullptr);
  EXPECT_EQ(e.find("demo-node-exporter")->id, squatter);

  auto down = run_await(make_down_plan(e, "demo", true));
  ASSERT_TRUE(run_await(apply_down(e, down, quiet())).ok());
  EXPECT_NE(e.find(partial), nullptr) << "down removed a container without a component label";
  EXPECT_NE(e.find(squatter), nullptr);
  EXPECT_EQ(e.find("demo-prometheus"), nullptr) << "down removes what is stackd's";
}

// An apply killed while a config-check container ran leaves it behind: it
// is this stack's, so `down` removes it; another stack's stays.
TEST(Converge, DownRemovesTheStacksLeftoverConfigCheckOnly) {
  FakeEngine e;
  auto d = desired_state();
  add_images(e, d);
  ASSERT_TRUE(converge(e, d).ok());
  auto ours = e.add_container("demo-alertmanager-config-check",
                              {{kManagedBy, kManagedByValue}, {kStack, "demo"}, {kRole, kConfigCheckRole}}, "busybox");
  auto theirs = e.add_container("other-alertmanager-config-check",
                                {{kManagedBy, kManagedByValue}, {kStack, "other"}, {kRole, kConfigCheckRole}}, "busybox");
  auto down = run_await(make_down_plan(e, "demo", false));
  ASSERT_TRUE(run_await(apply_down(e, down, quiet())).ok());
  EXPECT_EQ(e.find(ours), nullptr) << "the leftover check of this stack stays after down";
  EXPECT_NE(e.find(theirs), nullptr) << "down removed another stack's check container";
  for (const auto& c : d.containers) EXPECT_EQ(e.find(c.name), nullptr) << c.name;
}

TEST(ComponentPlan, ReadsOnlyItsOwnContainer) {
  FakeEngine e;
  auto d = desired_state();
  add_images(e, d);
  ASSERT_TRUE(converge(e, d).ok());
  // Another component's files drifted: this component's plan must not notice.
  e.write_file("demo-grafana", "/" + d.live_set(desired::LiveSet::GrafanaAdminPassword)->files.front().path, "changed");
  auto stats = e.calls("stat_path"), downloads = e.calls("get_archive"), lists = e.calls("list_containers");
  auto inspects = e.calls("inspect_container");
  auto infra = e.calls("list_networks") + e.calls("inspect_volume");
  auto plan = run_await(make_component_plan(e, d, kPrometheus));
  ASSERT_EQ(plan.changes.size(), 1u) << text(plan);
  EXPECT_EQ(plan.changes[0].name, "demo-prometheus");
  EXPECT_FALSE(plan.changes[0].action);
  EXPECT_EQ(e.calls("list_containers"), lists + 1);
  EXPECT_EQ(e.calls("inspect_container"), inspects + 1) << "its own container's state, read from the container";
  EXPECT_EQ(e.calls("stat_path"), stats);
  EXPECT_EQ(e.calls("get_archive"), downloads);
  EXPECT_EQ(e.calls("list_networks") + e.calls("inspect_volume"), infra) << "infrastructure is not a component's";
}

// A component key that runs before the infrastructure pass made its data
// volume (or after it failed) must not let the engine create the volume
// without stackd's labels: every later pass would refuse it as foreign.
TEST(ComponentPlan, CreatesNoContainerOverADataVolumeThatDoesNotExistYet) {
  FakeEngine e;
  auto d = desired_state();
  add_images(e, d);
  const std::string volume = d.stack + "-prometheus-data";
  ASSERT_TRUE(std::any_of(d.volumes.begin(), d.volumes.end(), [&](const VolumeSpec& v) { return v.name == volume; }));
  auto plan = run_await(make_component_plan(e, d, kPrometheus));
  auto result = run_await(apply_plan(e, d, plan, quiet()));
  EXPECT_FALSE(result.ok());
  EXPECT_NE(result.first_error().find("does not exist yet"), std::string::npos) << result.first_error();
  EXPECT_EQ(e.find("demo-prometheus"), nullptr);
  EXPECT_FALSE(e.volumes().count(volume)) << "the engine made the volume, without labels";
  // Once the whole stack is applied (infrastructure first), all is well.
  ASSERT_TRUE(converge(e, d).ok()) << converge(e, d).first_error();
  expect_converged_world(e, d);
  EXPECT_EQ(e.volumes().at(volume).labels.at(kStack), d.stack);
}

TEST(ComponentPlan, NeverMountsAForeignVolumeOfItsName) {
  FakeEngine e;
  auto d = desired_state();
  add_images(e, d);
  const std::string volume = d.stack + "-prometheus-data";
  const docker::Labels foreign{{"owner", "someone"}};
  run_await(e.create_volume(volume, foreign));
  auto plan = run_await(make_component_plan(e, d, kPrometheus));
  auto result = run_await(apply_plan(e, d, plan, quiet()));
  EXPECT_NE(result.first_error().find("not managed by stackd"), std::string::npos) << result.first_error();
  EXPECT_EQ(e.find("demo-prometheus"), nullptr);
  EXPECT_EQ(e.volumes().at(volume).labels, foreign);
}

TEST(ComponentPlan, UnknownComponentIsAnError) {
  FakeEngine e;
  auto d = desired_state();
  EXPECT_THROW(run_await(make_component_plan(e, d, ComponentKind::Alertmanager)), std::invalid_argument);
}

TEST(Apply, ContainerThatDiesAtOnceIsReportedFailed) {
  FakeEngine e;
  auto d = desired_state();
  add_images(e, d);
  e.set_image_behaviour("prom/node-exporter:v1.8.2", {.exits_at_once = 1});
  auto r = converge(e, d);
  EXPECT_FALSE(r.ok());
  EXPECT_NE(r.first_error().find("exited with code 1"), std::string::npos) << r.first_error();
}

// `stackd apply` shows why it died where the user looks; the daemon keeps
// what a container writes out of its errors (and so out of /status).
TEST(Apply, ADeadContainersErrorCarriesItsLastLogLinesOnlyWhenAsked) {
  for (int lines : {0, 10}) {
    FakeEngine e;
    auto d = desired_state();
    add_images(e, d);
    e.set_image_behaviour("prom/node-exporter:v1.8.2",
                          {.exits_at_once = 1, .log = "flag provided but not defined: -no-such-flag\n"});
    auto o = quiet();
    o.start_grace = std::chrono::milliseconds(0);
    o.crash_log_lines = lines;
    auto r = converge(e, d, o);
    ASSERT_FALSE(r.ok());
    const bool shown = r.first_error().find("no-such-flag") != std::string::npos;
    EXPECT_EQ(shown, lines > 0) << r.first_error();
    EXPECT_EQ(r.first_error().find("see `docker logs") != std::string::npos, lines == 0) << r.first_error();
  }
}

// Plain `stackd apply` (start_grace 0) returns once the engine reports every
// container running; the daemon's default grace looks again 250 ms later.
TEST(Apply, AStartGraceOfZeroReturnsAtOnceAndTheDefaultOneLooksAgainWhenItIsOver) {
  for (auto grace : {std::chrono::milliseconds(0), ApplyOptions{}.start_grace}) {
    FakeEngine e;
    auto d = desired_state();
    add_images(e, d);
    runtime::FakeClock clock;
    auto o = quiet();
    o.clock = &clock;
    o.start_grace = grace;
    auto plan = run_await(make_plan(e, d));
    boost::asio::io_context io;
    auto done = boost::asio::co_spawn(io, apply_plan(e, d, plan, o), boost::asio::use_future);
    io.poll();  // everything runnable now; a sleeping apply waits for the fake clock
    for (const auto& c : d.containers) EXPECT_TRUE(e.find(c.name)->running()) << c.name;
    if (grace.count() == 0) {
      ASSERT_EQ(done.wait_for(std::chrono::seconds(0)), std::future_status::ready) << "apply waits on a timer";
      EXPECT_EQ(clock.pending(), 0u);
    } else {
      EXPECT_NE(done.wait_for(std::chrono::seconds(0)), std::future_status::ready) << "no second look";
      EXPECT_EQ(clock.pending(), d.containers.size()) << "one second look per started container";
      clock.advance(grace);
      io.restart();
      io.poll();
      ASSERT_EQ(done.wait_for(std::chrono::seconds(0)), std::future_status::ready);
    }
    EXPECT_TRUE(done.get().ok());
  }
}

TEST(Apply, WaitFailsForAnUnhealthyContainerAndPassesForAHealthyOne) {
  FakeEngine e;
  auto d = desired_state();
  add_images(e, d);
  ASSERT_TRUE(converge(e, d).ok());
  auto s = spec(d, kNodeExporter);  // no ready URL: running (and healthy) is ready
  ASSERT_TRUE(s.ready_url.empty());
  auto id = e.find(s.name)->id;
  std::chrono::seconds no_time(0);
  runtime::FakeClock clock;  // no wait below sleeps: each ends at its first look
  EXPECT_NO_THROW(run_await(wait_until_ready(e, s, id, no_time, clock)));
  e.set_health(id, "starting");
  try {
    run_await(wait_until_ready(e, s, id, no_time, clock));
    ADD_FAILURE() << "wait passed for a container still starting";
  } catch (const std::runtime_error& err) {
    EXPECT_NE(std::string(err.what()).find("not healthy"), std::string::npos) << err.what();
  }
  e.kill_container(id, 2);
  try {
    run_await(wait_until_ready(e, s, id, std::chrono::seconds(60), clock));
    ADD_FAILURE() << "wait passed for an exited container";
  } catch (const std::runtime_error& err) {
    EXPECT_NE(std::string(err.what()).find("exited with code 2"), std::string::npos) << err.what();
  }
}

TEST(Apply, WaitReportsACrashLoopingContainer) {
  FakeEngine e;
  auto d = desired_state();
  add_images(e, d);
  e.set_image_behaviour("prom/node-exporter:v1.8.2", {.exits_at_once = 1});
  auto o = quiet();
  o.wait = true;
  o.ready_timeout = std::chrono::seconds(0);  // nothing answers the ready URLs here: one look each
  auto r = converge(e, d, o);
  EXPECT_FALSE(r.ok());
  bool reported = false;
  for (const auto& c : r.results)
    if (c.name == "demo-node-exporter") reported = c.error.find("exited with code 1") != std::string::npos;
  EXPECT_TRUE(reported) << r.first_error();
}

// a recreate killed at any point leaves a state the next
// apply finishes: one container per component, no leftovers, the volume kept.
TEST(Crash, RecreateKilledAtEveryStepIsFinishedByTheNextApply) {
  auto d1 = desired_state();
  auto d2 = desired_state(manifest_text("prom/prometheus:v2.54.0"));
  int completed_at = -1;
  for (int step = 0; step < 200 && completed_at < 0; ++step) {
    FakeEngine e;
    add_images(e, d1);
    e.add_image("prom/prometheus:v2.54.0");
    ASSERT_TRUE(converge(e, d1).ok());
    auto volume = e.volumes().at("demo-prometheus-data");
    e.crash_after(step);
    bool crashed = !converge_may_crash(e, d2);
    e.revive();
    if (!crashed) completed_at = step;
    auto r = converge(e, d2);
    ASSERT_TRUE(r.ok()) << "after a crash at call " << step << ": " << r.first_error();
    expect_converged_world(e, d2);
    EXPECT_EQ(e.find("demo-prometheus")->image, "prom/prometheus:v2.54.0") << step;
    EXPECT_EQ(e.volumes().at("demo-prometheus-data").labels, volume.labels) << step;
    EXPECT_TRUE(plan_of(e, d2).converged()) << "crash at call " << step << ":\n" << text(plan_of(e, d2));
    if (HasFailure()) FAIL() << "first failing crash point: call " << step;
  }
  EXPECT_GT(completed_at, 5) << "the recreate must have had intermediate states to crash in";
}

TEST(Crash, ColdApplyKilledAtEveryStepIsFinishedByTheNextApply) {
  auto d = desired_state();
  int completed_at = -1;
  for (int step = 0; step < 200 && completed_at < 0; ++step) {
    FakeEngine e;
    add_images(e, d);
    e.crash_after(step);
    bool crashed = !converge_may_crash(e, d);
    e.revive();
    if (!crashed) completed_at = step;
    auto r = converge(e, d);
    ASSERT_TRUE(r.ok()) << "after a crash at call " << step << ": " << r.first_error();
    expect_converged_world(e, d);
    if (HasFailure()) FAIL() << "first failing crash point: call " << step;
  }
  EXPECT_GT(completed_at, 5);
}

// The intermediate states of a recreate, built by hand as a killed process
// leaves them, each recognised by the next plan.
TEST(Crash, EachIntermediateStateOfARecreateIsRecognised) {
  auto d1 = desired_state();
  auto d2 = desired_state(manifest_text("prom/prometheus:v2.54.0"));
  const auto& next_spec = spec(d2, kPrometheus);
  enum class State { NextCreatedEmpty, NextCreatedWithFiles, OldStopped, OldRemoved, RenamedNotStarted };
  for (auto state : {State::NextCreatedEmpty, State::NextCreatedWithFiles, State::OldStopped, State::OldRemoved,
                     State::RenamedNotStarted}) {
    SCOPED_TRACE(static_cast<int>(state));
    FakeEngine e;
    add_images(e, d1);
    e.add_image("prom/prometheus:v2.54.0");
    ASSERT_TRUE(converge(e, d1).ok());
    auto old_id = e.find("demo-prometheus")->id;
    std::string next = next_name("demo-prometheus");
    auto id = run_await(e.create_container(next, next_spec.create_body));
    if (state != State::NextCreatedEmpty) {
      auto all = next_spec.files;
      for (auto& f : d2.live_files_of(kPrometheus)) all.push_back(std::move(f));
      run_await(e.put_archive(id, "/", make_tar(all)));
    }
    if (state >= State::OldStopped) run_await(e.stop_container(old_id));
    if (state >= State::OldRemoved) run_await(e.remove_container(old_id));
    if (state >= State::RenamedNotStarted) run_await(e.rename_container(id, "demo-prometheus"));

    auto plan = plan_of(e, d2);
    EXPECT_FALSE(plan.converged());
    auto r = run_await(apply_plan(e, d2, plan, quiet()));
    ASSERT_TRUE(r.ok()) << r.first_error() << "\n" << text(plan);
    expect_converged_world(e, d2);
    if (state == State::RenamedNotStarted) {
      EXPECT_EQ(e.find("demo-prometheus")->id, id) << "finished, not redone";
    }
  }
}

TEST(Crash, CreatedContainerWithoutItsFilesIsRecreatedNotStarted) {
  FakeEngine e;
  auto d = desired_state();
  add_images(e, d);
  const auto& prom = spec(d, kPrometheus);
  // Killed after creating the volume and the container, before its files were put.
  auto volume_labels = owner_labels("demo");
  volume_labels[kComponent] = "prometheus";
  std::string volume = "demo-prometheus-data";
  run_await(e.create_volume(volume, volume_labels));
  run_await(e.create_container(prom.name, prom.create_body));
  auto plan = plan_of(e, d);
  ASSERT_TRUE(plan.has(Action::Recreate)) << text(plan);
  EXPECT_NE(text(plan).find("recreate container demo-prometheus: created but its files were not all delivered"),
            std::string::npos)
      << text(plan);
  ASSERT_TRUE(run_await(apply_plan(e, d, plan, quiet())).ok());
  expect_converged_world(e, d);
}

// A killed apply's create that the engine finished after the next apply
// listed: the name is taken by a container of ours that the plan never saw.
TEST(Crash, ACreateThatRacesAKilledApplysCreateReplacesItsOrphan) {
  FakeEngine e;
  auto d = desired_state();
  add_images(e, d);
  auto plan = plan_of(e, d);
  const auto& prom = spec(d, kPrometheus);
  auto orphan = run_await(e.create_container(prom.name, prom.create_body));
  auto r = run_await(apply_plan(e, d, plan, quiet()));
  ASSERT_TRUE(r.ok()) << r.first_error();
  expect_converged_world(e, d);
  EXPECT_NE(e.find(prom.name)->id, orphan);
}

// The same race with a container that is not ours: it is left alone.
TEST(Crash, ANameTakenByAForeignContainerInTheMeantimeIsLeftAlone) {
  FakeEngine e;
  auto d = desired_state();
  add_images(e, d);
  auto plan = plan_of(e, d);
  const auto& prom = spec(d, kPrometheus);
  auto foreign = e.add_container(prom.name, {{"app", "mine"}});
  auto r = run_await(apply_plan(e, d, plan, quiet()));
  EXPECT_FALSE(r.ok());
  EXPECT_NE(r.first_error().find("not manage"), std::string::npos) << r.first_error();
  ASSERT_NE(e.find(prom.name), nullptr);
  EXPECT_EQ(e.find(prom.name)->id, foreign);
}

// The engine refuses a GPU exporter its GPUs (no NVIDIA container toolkit):
// the container stays created with the engine's reason, the failure names
// GPUUnavailable and the fix, and the next plan says why it starts it again.
TEST(Converge, AContainerRefusedItsDevicesIsKeptAndSaysWhy) {
  auto d = desired_state(manifest_text() + "  gpu: {vendor: nvidia}\n");
  FakeEngine e;
  add_images(e, d);
  auto r = converge(e, d);
  ASSERT_FALSE(r.ok());
  const auto& gpu = spec(d, ComponentKind::GpuExporter);
  const ComponentResult* failed = nullptr;
  for (const auto& x : r.results)
    if (x.name == gpu.name) failed = &x;
  ASSERT_NE(failed, nullptr);
  EXPECT_EQ(failed->reason, "GPUUnavailable");
  EXPECT_NE(failed->error.find("could not select device driver \"nvidia\" with capabilities: [[gpu]]"), std::string::npos)
      << failed->error;
  EXPECT_NE(failed->error.find("install the NVIDIA container toolkit"), std::string::npos) << failed->error;
  const auto* c = e.find(gpu.name);
  ASSERT_NE(c, nullptr) << "kept, with every file, for the next start";
  EXPECT_EQ(c->status, "created");
  EXPECT_EQ(c->labels.at(kSpecHash), gpu.spec_hash);
  for (const auto* other : {&spec(d, kPrometheus), &spec(d, kGrafana), &spec(d, kNodeExporter)})
    EXPECT_TRUE(e.find(other->name)->running()) << other->name << ": the rest converges";

  auto next = plan_of(e, d);
  bool says_why = false;
  for (const auto& ch : next.to_changes())
    says_why |= ch.name == gpu.name && ch.action == Action::Start &&
                ch.reason == "created; its last start was refused: could not select device driver \"nvidia\" with capabilities: [[gpu]]";
  EXPECT_TRUE(says_why) << text(next);

  e.set_device_drivers({"nvidia"});  // the toolkit, installed since
  EXPECT_TRUE(converge(e, d).ok());
  EXPECT_TRUE(e.find(gpu.name)->running());
  EXPECT_EQ(e.find(gpu.name)->error, "");
}

// `stackd apply`'s last look: a container that died after its start is
// named, with its last log lines; one that runs is not.
TEST(Apply, ContainersNotRunningAreNamedWithTheirLastLogLines) {
  FakeEngine e;
  auto d = desired_state();
  add_images(e, d);
  e.set_image_behaviour("prom/node-exporter:v1.8.2",
                        {.exits_at_once = 1, .log = "listen tcp 127.0.0.1:19100: bind: address already in use\n"});
  converge(e, d);
  auto found = run_await(containers_not_running(e, d, 10));
  ASSERT_EQ(found.size(), 1u);
  EXPECT_NE(found[0].find("container demo-node-exporter is restarting (exited with code 1), restarted 1 times"),
            std::string::npos)
      << found[0];
  EXPECT_NE(found[0].find("bind: address already in use"), std::string::npos) << found[0];
}

TEST(Apply, NotRunningSaysWhy) {
  docker::ContainerInfo info;
  info.name = "demo-prometheus";
  info.state.status = "running";
  info.restart_count = 3;
  EXPECT_FALSE(not_running(info)) << "up now: earlier restarts are history";
  info.state.status = "exited";
  info.state.exit_code = 2;
  info.restart_count = 0;
  EXPECT_EQ(not_running(info), "container demo-prometheus exited with code 2");
}

// What the engine shows after a `docker stop` versus a process that exits on
// its own, for each restart policy a manifest can name.
TEST(Apply, AStopFromOutsideIsToldFromACrashByTheRestartPolicy) {
  docker::ContainerInfo info;
  info.state.status = "exited";
  info.state.exit_code = 0;
  for (const char* policy : {"always", "unless-stopped"}) {
    info.raw = {{"HostConfig", {{"RestartPolicy", {{"Name", policy}}}}}};
    EXPECT_TRUE(stopped_from_outside(info)) << policy << ": the engine would have restarted a crash";
  }
  for (const char* policy : {"no", "on-failure"}) {
    info.raw = {{"HostConfig", {{"RestartPolicy", {{"Name", policy}}}}}};
    EXPECT_FALSE(stopped_from_outside(info)) << policy << ": a crash and a stop look the same";
  }
  info.raw = {{"HostConfig", {{"RestartPolicy", {{"Name", "unless-stopped"}}}}}};
  info.restart_count = 1;
  EXPECT_FALSE(stopped_from_outside(info)) << "it crashed before it was stopped";
  info.restart_count = 0;
  info.state.status = "restarting";
  EXPECT_FALSE(stopped_from_outside(info));
  info.raw = nlohmann::json::object();
  info.state.status = "exited";
  EXPECT_FALSE(stopped_from_outside(info)) << "no policy in the inspect document";
}

// A recreate whose new container exits at once (a bad flag, a taken port)
// puts the previous container back, running, and leaves nothing behind.
TEST(Apply, ARecreateThatDoesNotRunPutsThePreviousContainerBack) {
  FakeEngine e;
  auto d = desired_state();
  add_images(e, d);
  ASSERT_TRUE(converge(e, d).ok());
  const auto old_id = e.find("demo-prometheus")->id;
  auto d2 = desired_state(manifest_text("prom/prometheus:v2.54.0"));
  e.add_image("prom/prometheus:v2.54.0");
  e.set_image_behaviour("prom/prometheus:v2.54.0", {.exits_at_once = 2, .log = "unknown flag --bad\n"});
  auto r = converge(e, d2);
  ASSERT_FALSE(r.ok());
  bool rolled_back = false;
  for (const auto& c : r.results)
    if (c.name == "demo-prometheus") rolled_back = c.rolled_back && c.did_not_run;
  EXPECT_TRUE(rolled_back) << r.first_error();
  EXPECT_NE(r.first_error().find("unknown flag --bad"), std::string::npos) << r.first_error();
  EXPECT_NE(r.first_error().find("the previous container runs again"), std::string::npos) << r.first_error();
  ASSERT_NE(e.find("demo-prometheus"), nullptr);
  EXPECT_EQ(e.find("demo-prometheus")->id, old_id);
  EXPECT_TRUE(e.find("demo-prometheus")->running());
  EXPECT_EQ(e.find("demo-prometheus")->image, "prom/prometheus:v2.53.2");
  EXPECT_EQ(e.find(next_name("demo-prometheus")), nullptr);
  EXPECT_EQ(e.find(previous_name("demo-prometheus")), nullptr);
}

TEST(SpecFailures, EachFailureOfOneSpecDoublesTheWaitAndAnotherSpecIsTriedAtOnce) {
  SpecFailures f;
  const runtime::SteadyTime t0{};
  EXPECT_EQ(f.failed("prometheus", "h1", "StartFailed", "m", t0), std::chrono::seconds(30));
  EXPECT_NE(f.holding("prometheus", "h1", t0 + std::chrono::seconds(29)), nullptr);
  EXPECT_EQ(f.holding("prometheus", "h1", t0 + std::chrono::seconds(30)), nullptr);
  EXPECT_EQ(f.holding("prometheus", "h2", t0), nullptr) << "an edited spec is tried at once";
  EXPECT_EQ(f.holding("grafana", "h1", t0), nullptr);
  EXPECT_EQ(f.failed("prometheus", "h1", "StartFailed", "m", t0), std::chrono::seconds(60));
  for (int i = 0; i < 10; ++i) f.failed("prometheus", "h1", "StartFailed", "m", t0);
  EXPECT_EQ(f.failed("prometheus", "h1", "StartFailed", "m", t0), std::chrono::minutes(30));
  EXPECT_EQ(f.failed("prometheus", "h2", "StartFailed", "m", t0), std::chrono::seconds(30)) << "another spec starts over";
  f.succeeded("prometheus");
  EXPECT_EQ(f.holding("prometheus", "h2", t0), nullptr);
}

// The daemon does not make a spec that did not run again in a tight loop:
// the key reports the failure (RecreateRolledBack, Degraded) and waits, while
// the events of the container it put back wake it.
TEST(ContainerReconciler, ASpecThatDidNotRunIsNotTriedAgainUntilItsWaitIsOver) {
  FakeEngine e;
  metrics::Registry registry;
  runtime::FakeClock clock;
  ContainerReconciler reconciler(e, registry);
  auto snapshot = [](const DesiredState& d) {
    auto s = std::make_shared<desired::Snapshot>();
    s->revision = d.revision;
    s->desired = d;
    return desired::SnapshotPtr(s);
  };
  // One pass under fake time: the clock moves on while the pass waits on it.
  auto pass = [&](const desired::SnapshotPtr& snap) -> std::optional<runtime::ReconcileError> {
    runtime::Context ctx{snap, clock, [](const std::string&) {}};
    runtime::Request request{"container/prometheus"};
    boost::asio::io_context io;
    auto done = boost::asio::co_spawn(
        io, [&]() -> boost::asio::awaitable<runtime::Result> { co_return co_await reconciler.reconcile(request, ctx); },
        boost::asio::use_future);
    while (done.wait_for(std::chrono::seconds(0)) != std::future_status::ready) {
      io.restart();
      io.poll();
      if (done.wait_for(std::chrono::seconds(0)) != std::future_status::ready) clock.advance(std::chrono::milliseconds(50));
    }
    try {
      done.get();
    } catch (const runtime::ReconcileError& err) {
      return err;
    }
    return std::nullopt;
  };
  auto d = desired_state();
  add_images(e, d);
  ASSERT_TRUE(converge(e, d).ok());
  const auto old_id = e.find("demo-prometheus")->id;
  auto d2 = desired_state(manifest_text("prom/prometheus:v2.54.0"));
  e.add_image("prom/prometheus:v2.54.0");
  e.set_image_behaviour("prom/prometheus:v2.54.0", {.exits_at_once = 2});
  const auto edited = snapshot(d2);

  auto first = pass(edited);
  ASSERT_TRUE(first);
  EXPECT_EQ(first->reason(), "RecreateRolledBack");
  EXPECT_EQ(first->retry(), runtime::ReconcileError::Retry::After);
  EXPECT_EQ(first->retry_after(), SpecFailures::kFirstWait);
  EXPECT_TRUE(first->keeps_last_good()) << "the previous container runs the last good revision: the stack stays Ready";
  const auto creates = e.calls("create_container");
  // Woken again at once (the restored container's start event): nothing is made.
  auto again = pass(edited);
  ASSERT_TRUE(again);
  EXPECT_EQ(again->reason(), "RecreateRolledBack");
  EXPECT_TRUE(again->keeps_last_good());
  EXPECT_EQ(e.calls("create_container"), creates) << "the same failing spec was made again";
  EXPECT_EQ(e.find("demo-prometheus")->id, old_id);
  EXPECT_TRUE(e.find("demo-prometheus")->running());
  // Once the wait is over it is tried again (and fails again, waiting twice as long).
  clock.advance(SpecFailures::kFirstWait);
  auto later = pass(edited);
  ASSERT_TRUE(later);
  EXPECT_GT(e.calls("create_container"), creates);
  EXPECT_EQ(later->retry_after(), 2 * SpecFailures::kFirstWait);
}

TEST(PreviousContainerKept, OnlyWhereTheLastGoodContainerStillRuns) {
  ComponentResult r;
  r.action = runtime::Action::Recreate;
  r.config_rejected = true;
  EXPECT_TRUE(previous_container_kept(r)) << "a recreate refused before it began";
  r.action = runtime::Action::Create;
  EXPECT_FALSE(previous_container_kept(r)) << "a create refused: nothing runs";
  ComponentResult put_back;
  put_back.action = runtime::Action::Recreate;
  put_back.did_not_run = put_back.rolled_back = true;
  EXPECT_TRUE(previous_container_kept(put_back));
  ComponentResult failed_start;
  failed_start.action = runtime::Action::Start;
  failed_start.did_not_run = true;
  EXPECT_FALSE(previous_container_kept(failed_start));
}

// A config the image's checker refuses is the same refusal until its files
// change: the key waits for an edit (no retry loop of check containers). An
// edit refused while the previous container runs keeps the stack Ready; a
// create refused leaves nothing running, so it does not.
TEST(ContainerReconciler, ARejectedConfigWaitsForAnEditAndKeepsReadyOnlyWhereThePreviousContainerRuns) {
  FakeEngine e;
  metrics::Registry registry;
  runtime::FakeClock clock;
  ContainerSettings settings;
  settings.start_grace = std::chrono::milliseconds(0);
  bool reject = false;
  settings.check_before_create = [&reject](const DesiredState&, const ContainerSpec&,
                                           std::function<void(const std::string&)>)
      -> boost::asio::awaitable<std::optional<std::string>> {
    if (reject) co_return std::string("prometheus/alerts.yml:5:11: could not parse expression");
    co_return std::nullopt;
  };
  ContainerReconciler reconciler(e, registry, settings);
  auto pass = [&](const DesiredState& d) -> std::optional<runtime::ReconcileError> {
    auto s = std::make_shared<desired::Snapshot>();
    s->revision = d.revision;
    s->desired = d;
    runtime::Context ctx{desired::SnapshotPtr(s), clock, [](const std::string&) {}};
    runtime::Request request{"container/prometheus"};
    try {
      run_await(reconciler.reconcile(request, ctx));
    } catch (const runtime::ReconcileError& err) {
      return err;
    }
    return std::nullopt;
  };
  auto d = desired_state();
  add_images(e, d);
  // The stack as an earlier pass left it, then its Prometheus removed: the
  // key creates it again over the data volume.
  ASSERT_TRUE(converge(e, d).ok());
  run_await(e.remove_container(e.find("demo-prometheus")->id, true));
  reject = true;
  auto refused_create = pass(d);
  ASSERT_TRUE(refused_create);
  EXPECT_EQ(refused_create->reason(), "ConfigRejected");
  EXPECT_EQ(refused_create->retry(), runtime::ReconcileError::Retry::Never);
  EXPECT_FALSE(refused_create->keeps_last_good()) << "no Prometheus runs";
  EXPECT_EQ(e.find("demo-prometheus"), nullptr);

  reject = false;
  auto created = pass(d);
  ASSERT_FALSE(created) << created->reason() << ": " << created->what();
  const auto old_id = e.find("demo-prometheus")->id;
  auto d2 = desired_state(manifest_text("prom/prometheus:v2.54.0"));
  e.add_image("prom/prometheus:v2.54.0");
  reject = true;
  auto refused_recreate = pass(d2);
  ASSERT_TRUE(refused_recreate);
  EXPECT_EQ(refused_recreate->reason(), "ConfigRejected");
  EXPECT_EQ(refused_recreate->retry(), runtime::ReconcileError::Retry::Never);
  EXPECT_TRUE(refused_recreate->keeps_last_good());
  EXPECT_EQ(e.find("demo-prometheus")->id, old_id);
  EXPECT_TRUE(e.find("demo-prometheus")->running());
}

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
#include "reconcilers/containers/apply.hpp"
#include "reconcilers/containers/plan.hpp"
#include "runtime/fake_clock.hpp"

using namespace stackd;
using namespace stackd::containers;
using namespace stackd::labels;
using docker::FakeEngine;

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

DesiredState desired(const std::string& text = manifest_text()) {
  manifest::LoadOptions o;
  o.env = [](const std::string&) { return std::nullopt; };
  auto m = manifest::load_from_string(text, "/tmp/stack.yaml", o);
  return render_desired_state(m, RenderContext{"pw-secret-value", "stackd:dev"});
}

void add_images(FakeEngine& e, const DesiredState& d) {
  for (const auto& c : d.containers) e.add_image(c.image);
}

ApplyOptions quiet() {
  ApplyOptions o;
  o.progress = [](const std::string&) {};
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

const ContainerSpec& spec(const DesiredState& d, const std::string& component) {
  for (const auto& c : d.containers)
    if (c.component == component) return c;
  throw std::runtime_error("no " + component);
}

// Exactly one running container per desired component, under its own name,
// with the desired spec hash and every file delivered; nothing else of ours.
void expect_converged_world(const FakeEngine& e, const DesiredState& d) {
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
    EXPECT_EQ(c->labels.at(kComponent), s.component);
    // Live files another key reloads (prometheus-config) are delivered at
    // create and its to bring up to date afterwards.
    std::vector<const std::vector<TarFile>*> owned = {&s.files};
    if (s.live_files_reconciler.empty()) owned.push_back(&s.live_files);
    for (const auto* files : owned)
      for (const auto& f : *files) {
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
  auto d = desired();
  add_images(e, d);
  auto r = converge(e, d);
  ASSERT_TRUE(r.ok()) << r.first_error();
  expect_converged_world(e, d);
  EXPECT_EQ(e.volumes().at("demo-prometheus-data").labels.at(kComponent), "prometheus");
  EXPECT_EQ(e.volumes().at("demo-prometheus-data").labels.at(kStack), "demo");
  EXPECT_TRUE(plan_of(e, d).converged()) << plan_of(e, d).to_text();
}

TEST(Converge, NoOpChangesNothingAndDownloadsNothing) {
  FakeEngine e;
  auto d = desired();
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

TEST(Converge, LiveFileEditedInsideTheContainerIsRestored) {
  FakeEngine e;
  auto d = desired();
  add_images(e, d);
  ASSERT_TRUE(converge(e, d).ok());
  const auto& grafana = spec(d, kGrafana);  // its password file is the container reconciler's own live file
  const auto& password = grafana.live_files.front();
  auto id = e.find(grafana.name)->id;
  e.write_file(id, "/" + password.path, "edited by hand");

  auto plan = plan_of(e, d);
  ASSERT_TRUE(plan.has(Change::Reload)) << plan.to_text();
  EXPECT_NE(plan.to_text().find("/" + password.path), std::string::npos) << plan.to_text();
  ASSERT_TRUE(run_await(apply_plan(e, d, plan, quiet())).ok());
  EXPECT_EQ(e.find(grafana.name)->id, id) << "a live file change must not recreate";
  EXPECT_EQ(e.find(grafana.name)->files.at("/" + password.path).content, password.content);
  EXPECT_TRUE(plan_of(e, d).converged());
}

TEST(Converge, LiveFilesAnotherReconcilerReloadsAreLeftToIt) {
  FakeEngine e;
  auto d = desired();
  add_images(e, d);
  ASSERT_TRUE(converge(e, d).ok());
  const auto& prom = spec(d, kPrometheus);
  ASSERT_EQ(prom.live_files_reconciler, "prometheus-config");
  const auto& config = prom.live_files.front();
  // Created with the marker saying its files are what it loads at start.
  ASSERT_TRUE(prom.loaded_marker);
  EXPECT_EQ(e.find(prom.name)->files.at("/" + prom.loaded_marker->path).content, prom.loaded_marker->content);
  e.write_file(prom.name, "/" + config.path, "global: {}\n# edited by hand\n");

  // `diff` shows the reload; the container reconciler's plan does not look,
  // and an apply of the diff's plan does not overwrite what promtool has not checked.
  auto plan = plan_of(e, d);
  ASSERT_TRUE(plan.has(Change::Reload)) << plan.to_text();
  auto stats = e.calls("stat_path");
  auto own = run_await(make_component_plan(e, d, kPrometheus, OwnedLiveFiles::Skip));
  EXPECT_TRUE(own.converged()) << own.to_text();
  EXPECT_EQ(e.calls("stat_path"), stats);
  ASSERT_TRUE(run_await(apply_plan(e, d, plan, quiet())).ok());
  EXPECT_EQ(e.find(prom.name)->files.at("/" + config.path).content, "global: {}\n# edited by hand\n");
}

TEST(Converge, LiveFileTouchedButUnchangedIsNotStale) {
  FakeEngine e;
  auto d = desired();
  add_images(e, d);
  ASSERT_TRUE(converge(e, d).ok());
  const auto& prom = spec(d, kPrometheus);
  const auto& config = prom.live_files.front();
  e.write_file(prom.name, "/" + config.path, config.content, config.mode);  // same bytes, new mtime
  auto downloads = e.calls("get_archive");
  EXPECT_TRUE(plan_of(e, d).converged());
  EXPECT_EQ(e.calls("get_archive"), downloads + 1) << "only the file whose stat differs is downloaded";
}

TEST(Converge, ImageChangeRecreatesAndKeepsTheDataVolume) {
  FakeEngine e;
  auto d = desired();
  add_images(e, d);
  ASSERT_TRUE(converge(e, d).ok());
  auto old_id = e.find("demo-prometheus")->id;
  auto grafana_id = e.find("demo-grafana")->id;
  auto volume = e.volumes().at("demo-prometheus-data");

  auto d2 = desired(manifest_text("prom/prometheus:v2.54.0"));
  e.add_pullable_image("prom/prometheus:v2.54.0");
  auto plan = plan_of(e, d2);
  ASSERT_TRUE(plan.has(Change::Recreate)) << plan.to_text();
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
  auto d = desired();
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
  auto d = desired();
  add_images(e, d);
  ASSERT_TRUE(converge(e, d).ok());
  ASSERT_NE(e.find("demo-node-exporter"), nullptr);
  auto d2 = desired(manifest_text("prom/prometheus:v2.53.2", /*node_exporter=*/false));
  auto r = converge(e, d2);
  ASSERT_TRUE(r.ok()) << r.first_error();
  EXPECT_EQ(e.find("demo-node-exporter"), nullptr);
  expect_converged_world(e, d2);
  // Prometheus's scrape config without node-exporter is prometheus-config's
  // reload (promtool first); `diff` shows it.
  auto plan = plan_of(e, d2);
  ASSERT_TRUE(plan.has(Change::Reload)) << plan.to_text();
  for (const auto& c : plan.changes) {
    if (c.change == Change::Reload) {
      EXPECT_EQ(c.name, "demo-prometheus") << plan.to_text();
    }
  }
}

TEST(Converge, DuplicateOfAComponentIsRemovedAndTheCanonicalKept) {
  FakeEngine e;
  auto d = desired();
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
  auto d = desired();
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

TEST(ComponentPlan, ReadsOnlyItsOwnContainer) {
  FakeEngine e;
  auto d = desired();
  add_images(e, d);
  ASSERT_TRUE(converge(e, d).ok());
  // Every other component's files drifted: this component's plan must not notice.
  e.write_file("demo-grafana", "/" + spec(d, kGrafana).live_files.front().path, "changed");
  auto stats = e.calls("stat_path"), downloads = e.calls("get_archive"), lists = e.calls("list_containers");
  auto inspects = e.calls("inspect_container");
  auto infra = e.calls("list_networks") + e.calls("inspect_volume");
  auto plan = run_await(make_component_plan(e, d, kPrometheus));
  ASSERT_EQ(plan.changes.size(), 1u) << plan.to_text();
  EXPECT_EQ(plan.changes[0].name, "demo-prometheus");
  EXPECT_EQ(plan.changes[0].change, Change::Unchanged);
  EXPECT_EQ(e.calls("list_containers"), lists + 1);
  EXPECT_EQ(e.calls("inspect_container"), inspects + 1) << "its own container's state, read from the container";
  EXPECT_EQ(e.calls("stat_path"), stats + static_cast<int>(spec(d, kPrometheus).live_files.size()));
  EXPECT_EQ(e.calls("get_archive"), downloads);
  EXPECT_EQ(e.calls("list_networks") + e.calls("inspect_volume"), infra) << "infrastructure is not a component's";
}

// A component key that runs before the infrastructure pass made its data
// volume (or after it failed) must not let the engine create the volume
// without stackd's labels: every later pass would refuse it as foreign.
TEST(ComponentPlan, CreatesNoContainerOverADataVolumeThatDoesNotExistYet) {
  FakeEngine e;
  auto d = desired();
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
  auto d = desired();
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
  auto d = desired();
  EXPECT_THROW(run_await(make_component_plan(e, d, "alertmanager")), std::invalid_argument);
}

TEST(Apply, ContainerThatDiesAtOnceIsReportedFailed) {
  FakeEngine e;
  auto d = desired();
  add_images(e, d);
  e.set_image_behaviour("prom/node-exporter:v1.8.2", {.exits_at_once = 1});
  auto r = converge(e, d);
  EXPECT_FALSE(r.ok());
  EXPECT_NE(r.first_error().find("exited with code 1"), std::string::npos) << r.first_error();
}

// Plain `stackd apply` (start_grace 0) returns once the engine reports every
// container running; the daemon's default grace looks again 250 ms later.
TEST(Apply, AStartGraceOfZeroReturnsAtOnceAndTheDefaultOneLooksAgainWhenItIsOver) {
  for (auto grace : {std::chrono::milliseconds(0), ApplyOptions{}.start_grace}) {
    FakeEngine e;
    auto d = desired();
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
  auto d = desired();
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
  auto d = desired();
  add_images(e, d);
  e.set_image_behaviour("prom/node-exporter:v1.8.2", {.exits_at_once = 1});
  auto o = quiet();
  o.wait = true;
  o.ready_timeout = std::chrono::seconds(0);  // nothing answers the ready URLs here: one look each
  auto r = converge(e, d, o);
  EXPECT_FALSE(r.ok());
  bool reported = false;
  for (const auto& c : r.results)
    if (c.name == "container demo-node-exporter") reported = c.error.find("exited with code 1") != std::string::npos;
  EXPECT_TRUE(reported) << r.first_error();
}

// a recreate killed at any point leaves a state the next
// apply finishes: one container per component, no leftovers, the volume kept.
TEST(Crash, RecreateKilledAtEveryStepIsFinishedByTheNextApply) {
  auto d1 = desired();
  auto d2 = desired(manifest_text("prom/prometheus:v2.54.0"));
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
    EXPECT_TRUE(plan_of(e, d2).converged()) << "crash at call " << step << ":\n" << plan_of(e, d2).to_text();
    if (HasFailure()) FAIL() << "first failing crash point: call " << step;
  }
  EXPECT_GT(completed_at, 5) << "the recreate must have had intermediate states to crash in";
}

TEST(Crash, ColdApplyKilledAtEveryStepIsFinishedByTheNextApply) {
  auto d = desired();
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
  auto d1 = desired();
  auto d2 = desired(manifest_text("prom/prometheus:v2.54.0"));
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
      all.insert(all.end(), next_spec.live_files.begin(), next_spec.live_files.end());
      run_await(e.put_archive(id, "/", make_tar(all)));
    }
    if (state >= State::OldStopped) run_await(e.stop_container(old_id));
    if (state >= State::OldRemoved) run_await(e.remove_container(old_id));
    if (state >= State::RenamedNotStarted) run_await(e.rename_container(id, "demo-prometheus"));

    auto plan = plan_of(e, d2);
    EXPECT_FALSE(plan.converged());
    auto r = run_await(apply_plan(e, d2, plan, quiet()));
    ASSERT_TRUE(r.ok()) << r.first_error() << "\n" << plan.to_text();
    expect_converged_world(e, d2);
    if (state == State::RenamedNotStarted) {
      EXPECT_EQ(e.find("demo-prometheus")->id, id) << "finished, not redone";
    }
  }
}

TEST(Crash, CreatedContainerWithoutItsFilesIsRecreatedNotStarted) {
  FakeEngine e;
  auto d = desired();
  add_images(e, d);
  const auto& prom = spec(d, kPrometheus);
  // Killed after creating the volume and the container, before its files were put.
  auto volume_labels = owner_labels("demo");
  volume_labels[kComponent] = kPrometheus;
  std::string volume = "demo-prometheus-data";
  run_await(e.create_volume(volume, volume_labels));
  run_await(e.create_container(prom.name, prom.create_body));
  auto plan = plan_of(e, d);
  auto text = plan.to_text();
  EXPECT_NE(text.find("recreate  container demo-prometheus"), std::string::npos) << text;
  ASSERT_TRUE(run_await(apply_plan(e, d, plan, quiet())).ok());
  expect_converged_world(e, d);
}

// A killed apply's create that the engine finished after the next apply
// listed: the name is taken by a container of ours that the plan never saw.
TEST(Crash, ACreateThatRacesAKilledApplysCreateReplacesItsOrphan) {
  FakeEngine e;
  auto d = desired();
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
  auto d = desired();
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

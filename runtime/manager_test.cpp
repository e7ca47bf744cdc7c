#include "runtime/manager.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <gtest/gtest.h>

#include <map>
#include <set>

#include "runtime/fake_clock.hpp"

namespace stackd::runtime {
namespace {

using namespace std::chrono_literals;

// A desired state the test sets by hand: which objects exist, by revision.
struct ScriptedLoader final : SnapshotLoader {
  std::vector<std::string> objects{"a", "b"};
  std::string revision = "sha256:1";
  std::optional<std::string> invalid;  // set: the next load is invalid with this message
  net::awaitable<manifest::SnapshotPtr> load() override {
    if (invalid) throw ReconcileError("ManifestInvalid", *invalid, ReconcileError::Retry::Never);
    auto s = std::make_shared<manifest::Snapshot>();
    s->revision = revision;
    s->manifest.name = "test";
    for (const auto& o : objects) s->manifest.grafana.datasources.push_back({.name = o});
    co_return s;
  }
  std::vector<std::filesystem::path> watched_paths(const manifest::Snapshot*) const override { return {}; }
};

// Keys "thing/<name>", one per datasource name of the snapshot; what each
// reconcile does is scripted per object.
struct ThingReconciler final : Reconciler {
  Clock& clock;
  explicit ThingReconciler(Clock& c) : clock(c) {}
  std::map<std::string, std::vector<std::function<void()>>> script;  // object -> one action per call (last repeats)
  std::map<std::string, int> calls;
  std::set<std::string> forgotten;
  std::optional<Duration> requeue;
  std::optional<Duration> block_for;  // reconcile waits this long on the clock (cancellable)

  std::string_view name() const override { return "thing"; }
  std::vector<std::string> keys(const manifest::Snapshot& s) const override {
    std::vector<std::string> k;
    for (const auto& d : s.manifest.grafana.datasources) k.push_back("thing/" + d.name);
    return k;
  }
  std::vector<std::string> keys_for_component(std::string_view c) const override {
    if (c.empty()) return {};
    return {"thing/" + std::string(c)};
  }
  net::awaitable<Result> reconcile(const Request& r, Context&) override {
    std::string object(r.object());
    int n = calls[object]++;
    if (block_for) co_await sleep_for(clock, *block_for);
    auto& actions = script[object];
    if (!actions.empty()) actions[std::min<std::size_t>(n, actions.size() - 1)]();
    co_return Result{.requeue_after = requeue};
  }
  void forget(const std::string& key) override { forgotten.insert(key); }
};

struct ManagerTest : ::testing::Test {
  net::io_context io;
  FakeClock clock;
  FakeRandom random;
  metrics::Registry registry;
  ScriptedLoader loader;
  ThingReconciler* things = nullptr;
  std::unique_ptr<Manager> manager;
  std::optional<int> exit_code;

  void start() {
    ManagerOptions o;
    o.serve_http = false;
    o.workers = 2;
    manager = std::make_unique<Manager>(io.get_executor(), clock, random, registry, loader, o);
    auto t = std::make_unique<ThingReconciler>(clock);
    things = t.get();
    manager->add(std::move(t));
    net::co_spawn(io, manager->run(), [this](std::exception_ptr e, int rc) {
      if (e) std::rethrow_exception(e);
      exit_code = rc;
    });
    settle();
  }
  void settle() {
    for (int i = 0; i < 50; ++i) io.poll();
  }
  void advance(Duration d) {
    clock.advance(d);
    settle();
  }
  nlohmann::json condition(const std::string& type) {
    auto status = manager->status();
    for (const auto& c : status["conditions"])
      if (c["type"] == type) return c;
    return {};
  }
  void TearDown() override {
    if (manager && !exit_code) {
      manager->stop();
      settle();
    }
  }
};

TEST_F(ManagerTest, ReconcilesEveryKeyOfTheSnapshotAndBecomesReady) {
  start();
  EXPECT_EQ(things->calls["a"], 1);
  EXPECT_EQ(things->calls["b"], 1);
  EXPECT_EQ(condition("Ready")["status"], "True");
  EXPECT_EQ(condition("Degraded")["status"], "False");
  EXPECT_EQ(manager->status()["appliedRevision"], "sha256:1");
}

TEST_F(ManagerTest, AnErrorBelongsToItsKeyAndIsClearedWhenTheKeyIsNoLongerDesired) {
  loader.objects = {"a", "b"};
  ThingReconciler* t = nullptr;
  start();
  t = things;
  t->script["b"] = {[] { throw ReconcileError("NameConflict", "b is held by a foreign container"); }};
  manager->enqueue("thing/b");
  settle();
  EXPECT_EQ(condition("Degraded")["reason"], "NameConflict");
  EXPECT_EQ(condition("Ready")["status"], "False");

  // b leaves the manifest: its error goes with it.
  loader.objects = {"a"};
  loader.revision = "sha256:2";
  manager->enqueue(std::string(kManifestKey));
  settle();
  EXPECT_EQ(condition("Degraded")["status"], "False");
  EXPECT_EQ(condition("Ready")["status"], "True");
  EXPECT_TRUE(t->forgotten.contains("thing/b"));
  EXPECT_EQ(manager->desired_keys(), std::vector<std::string>{"thing/a"});
}

TEST_F(ManagerTest, AFailureIsRetriedWithBackoffAndItsErrorClearsOnSuccess) {
  start();
  // Calls: the first (at start) succeeded; the second fails; the third succeeds.
  things->script["a"] = {[] {}, [] { throw std::runtime_error("engine busy"); }, [] {}};
  manager->enqueue("thing/a");
  settle();
  EXPECT_EQ(things->calls["a"], 2);
  EXPECT_EQ(condition("Degraded")["reason"], "ReconcileError");
  advance(600ms);  // the first retry is due after ~500 ms
  EXPECT_EQ(things->calls["a"], 3);
  EXPECT_EQ(condition("Degraded")["status"], "False");
}

TEST_F(ManagerTest, ATerminalErrorIsNotRetriedUntilSomethingChanges) {
  start();
  things->script["a"] = {[] { throw ReconcileError("Invalid", "cannot work", ReconcileError::Retry::Never); }};
  manager->enqueue("thing/a");
  settle();
  int calls = things->calls["a"];
  advance(10min);
  EXPECT_EQ(things->calls["a"], calls);
  EXPECT_EQ(condition("Degraded")["reason"], "Invalid");
}

TEST_F(ManagerTest, RequeueAfterLooksAgainWithoutATrigger) {
  start();
  things->requeue = 30s;
  manager->enqueue("thing/a");
  settle();
  int calls = things->calls["a"];
  advance(31s);
  EXPECT_EQ(things->calls["a"], calls + 1);
}

TEST_F(ManagerTest, AnInvalidDesiredStateKeepsTheLastGoodOne) {
  start();
  loader.invalid = "stack.yaml:3:5: unknown field 'promethues'";
  manager->enqueue(std::string(kManifestKey));
  settle();
  EXPECT_EQ(condition("Degraded")["reason"], "ManifestInvalid");
  EXPECT_EQ(manager->desired_keys(), (std::vector<std::string>{"thing/a", "thing/b"}));
  // Drift is still repaired on the last good revision.
  manager->enqueue("thing/a");
  settle();
  EXPECT_EQ(things->calls["a"], 2);
  // The fix clears the error.
  loader.invalid.reset();
  manager->enqueue(std::string(kManifestKey));
  settle();
  EXPECT_EQ(condition("Degraded")["status"], "False");
}

TEST_F(ManagerTest, AnEventOfAComponentReachesTheKeysThatConcernIt) {
  start();
  manager->enqueue_all();
  settle();
  int calls = things->calls["b"];
  for (const auto& k : manager->keys_for_component("b")) manager->enqueue(k);
  settle();
  EXPECT_EQ(things->calls["b"], calls + 1);
}

TEST_F(ManagerTest, StopCancelsInFlightWorkAndRunReturnsZero) {
  start();
  things->block_for = 1h;
  manager->enqueue("thing/a");
  settle();
  ASSERT_FALSE(exit_code);
  manager->stop();
  settle();
  ASSERT_TRUE(exit_code);
  EXPECT_EQ(*exit_code, 0);
}

TEST_F(ManagerTest, RunOnceRunsEveryKeyAndReportsErrors) {
  ManagerOptions o;
  o.serve_http = false;
  Manager m(io.get_executor(), clock, random, registry, loader, o);
  auto t = std::make_unique<ThingReconciler>(clock);
  t->script["b"] = {[] { throw std::runtime_error("no"); }};
  auto* raw = t.get();
  m.add(std::move(t));
  std::optional<bool> ok;
  net::co_spawn(io, m.run_once([](const std::string&) {}), [&](std::exception_ptr e, bool r) {
    if (e) std::rethrow_exception(e);
    ok = r;
  });
  settle();
  ASSERT_TRUE(ok);
  EXPECT_FALSE(*ok);
  EXPECT_EQ(raw->calls["a"], 1);
  EXPECT_EQ(raw->calls["b"], 1);
  ASSERT_EQ(m.errors().size(), 1u);
  EXPECT_EQ(m.errors()[0], "thing/b: no");
}

}  // namespace
}  // namespace stackd::runtime

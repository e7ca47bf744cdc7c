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
  net::awaitable<desired::SnapshotPtr> load() override {
    if (invalid) throw ReconcileError("ManifestInvalid", *invalid, ReconcileError::Retry::Never);
    auto s = std::make_shared<desired::Snapshot>();
    s->revision = revision;
    s->manifest.name = "test";
    for (const auto& o : objects) s->manifest.grafana.datasources.push_back({.name = o});
    co_return s;
  }
  std::vector<std::filesystem::path> watched_paths(const desired::Snapshot*) const override { return {}; }
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
  std::vector<std::string> keys(const desired::Snapshot& s) const override {
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
  net::awaitable<std::vector<Change>> plan(const Request& r, Context&) override {
    std::string object(r.object());
    ++plans[object];
    if (plan_fails.count(object)) throw ReconcileError("CannotSee", object + " cannot be read");
    std::vector<Change> out;
    if (pending.count(object)) out.push_back({ObjectKind::Container, object, Action::Update, "pending", {}, "", "", false});
    co_return out;
  }
  std::set<std::string> pending, plan_fails;  // objects whose plan has a change / fails
  std::map<std::string, int> plans;
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

  std::function<net::awaitable<void>(desired::SnapshotPtr)> admit;
  void start() {
    ManagerOptions o;
    o.serve_http = false;
    o.workers = 2;
    o.admit = admit;
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

// `stackd diff`: every key's plan, nothing reconciled; a key that cannot
// find out is an error, the others' changes are still listed.
TEST_F(ManagerTest, PlanCollectsEveryKeysChangesAndReconcilesNothing) {
  ManagerOptions o;
  o.serve_http = false;
  manager = std::make_unique<Manager>(io.get_executor(), clock, random, registry, loader, o);
  auto t = std::make_unique<ThingReconciler>(clock);
  things = t.get();
  manager->add(std::move(t));
  loader.objects = {"a", "b", "c"};
  things->pending = {"a", "c"};
  things->plan_fails = {"b"};
  std::optional<Manager::PlanResult> result;
  net::co_spawn(io, manager->plan(), [&](std::exception_ptr e, Manager::PlanResult r) {
    if (e) std::rethrow_exception(e);
    result = std::move(r);
  });
  settle();
  ASSERT_TRUE(result);
  ASSERT_NE(result->snapshot, nullptr);
  ASSERT_EQ(result->changes.size(), 2u);
  EXPECT_EQ(result->changes[0].name, "a");
  EXPECT_EQ(result->changes[1].name, "c");
  EXPECT_EQ(things->plans["b"], 1);
  EXPECT_TRUE(things->calls.empty()) << "a plan reconciles nothing";
  ASSERT_EQ(manager->errors().size(), 1u);
  EXPECT_NE(manager->errors()[0].find("thing/b: b cannot be read"), std::string::npos) << manager->errors()[0];
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

TEST_F(ManagerTest, AnEditRefusedAfterTheFirstFullReconcileKeepsTheStackReadyOnTheLastGoodRevision) {
  start();
  ASSERT_EQ(condition("Ready")["reason"], "Converged");
  // Revision 2: "a" refuses it and keeps what it had (a rejected rule file).
  things->script["a"] = {[] {},
                         [] {
                           throw ReconcileError("ConfigRejected", "rules.yml:3: bad expr\nsecond line",
                                                ReconcileError::Retry::Never);
                         },
                         [] {}};
  loader.revision = "sha256:2";
  manager->enqueue(std::string(kManifestKey));
  settle();
  EXPECT_EQ(things->calls["b"], 2) << "the rest of the edit is applied";
  EXPECT_EQ(condition("Ready")["status"], "True");
  EXPECT_EQ(condition("Ready")["reason"], "LastGoodRevision");
  EXPECT_EQ(condition("Ready")["message"],
            "revision sha256:2 is refused by thing/a; the stack still runs the last good revision sha256:1; see Degraded");
  EXPECT_EQ(condition("Degraded")["status"], "True");
  EXPECT_EQ(condition("Degraded")["reason"], "ConfigRejected");
  EXPECT_EQ(condition("Degraded")["message"], "thing/a: rules.yml:3: bad expr\nsecond line");
  EXPECT_EQ(manager->status()["appliedRevision"], "sha256:1");
  EXPECT_EQ(manager->status()["attemptedRevision"], "sha256:2");

  // A fixed edit converges and the conditions say so.
  loader.revision = "sha256:3";
  manager->enqueue(std::string(kManifestKey));
  settle();
  EXPECT_EQ(condition("Ready")["reason"], "Converged");
  EXPECT_EQ(condition("Degraded")["status"], "False");
  EXPECT_EQ(manager->status()["appliedRevision"], "sha256:3");
}

// A recreate put back (RecreateRolledBack) is retried after a wait, not
// "never", yet it is a refused edit too: the previous container runs.
TEST_F(ManagerTest, ARefusedEditRetriedAfterAWaitKeepsTheStackReadyWhenTheKeyKeptWhatItHad) {
  start();
  ASSERT_EQ(condition("Ready")["reason"], "Converged");
  things->script["a"] = {[] {}, [] {
                           throw ReconcileError("RecreateRolledBack", "the previous container runs again",
                                                std::chrono::seconds(30))
                               .set_keeps_last_good(true);
                         }};
  loader.revision = "sha256:2";
  manager->enqueue(std::string(kManifestKey));
  settle();
  EXPECT_EQ(condition("Ready")["status"], "True");
  EXPECT_EQ(condition("Ready")["reason"], "LastGoodRevision");
  EXPECT_EQ(condition("Degraded")["reason"], "RecreateRolledBack");
  EXPECT_EQ(things->calls["a"], 2) << "not retried before its wait is over";

  // The same wait with nothing kept (a failed start): the stack is not Ready.
  things->script["a"] = {[] {
    throw ReconcileError("StartFailed", "exited at once", std::chrono::seconds(30)).set_keeps_last_good(false);
  }};
  loader.revision = "sha256:3";
  manager->enqueue(std::string(kManifestKey));
  settle();
  EXPECT_EQ(condition("Ready")["status"], "False");
  EXPECT_EQ(condition("Ready")["reason"], "Degraded");
}

TEST_F(ManagerTest, AKeyThatKeepsFailingAfterTheFirstFullReconcileMakesTheStackNotReady) {
  start();
  things->script["b"] = {[] {}, [] { throw std::runtime_error("container exited with code 1"); }};
  manager->enqueue("thing/b");
  settle();
  EXPECT_EQ(condition("Ready")["status"], "False");
  EXPECT_EQ(condition("Ready")["reason"], "Degraded");
  EXPECT_EQ(condition("Degraded")["message"], "thing/b: container exited with code 1");
}

net::awaitable<void> refuse(desired::SnapshotPtr) {
  throw ReconcileError("AnotherDaemon", "stack test is managed by another daemon\nFix: stop it",
                       ReconcileError::Retry::Never);
  co_return;
}

TEST_F(ManagerTest, ARefusedAdmissionEndsRunWithExitOneBeforeAnythingActs) {
  admit = refuse;
  start();
  ASSERT_TRUE(exit_code);
  EXPECT_EQ(*exit_code, 1);
  EXPECT_TRUE(things->calls.empty());
}

TEST_F(ManagerTest, AnAdmissionThatCannotBeDecidedYetIsRetriedAndNothingActsMeanwhile) {
  int attempts = 0;
  admit = [&attempts](desired::SnapshotPtr) -> net::awaitable<void> {
    if (++attempts < 3) throw std::runtime_error("the engine does not answer");
    co_return;
  };
  start();
  EXPECT_EQ(attempts, 1);
  EXPECT_TRUE(things->calls.empty());
  EXPECT_FALSE(exit_code);
  advance(600ms);  // the first retry after 500 ms
  EXPECT_EQ(attempts, 2);
  EXPECT_TRUE(things->calls.empty());
  advance(1100ms);  // the second after 1 s more
  EXPECT_EQ(attempts, 3);
  EXPECT_EQ(things->calls["a"], 1);
  EXPECT_EQ(condition("Ready")["status"], "True");
  // Admitted once: later revisions are not asked again.
  loader.revision = "sha256:2";
  manager->enqueue(std::string(kManifestKey));
  settle();
  EXPECT_EQ(attempts, 3);
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

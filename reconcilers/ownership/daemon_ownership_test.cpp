// The daemon's claim on its stack against the in-memory engine; liveness of
// host processes is checked against this test's own /proc.
#include "reconcilers/ownership/daemon_ownership.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>
#include <gtest/gtest.h>

#include "api/v1alpha1/labels.hpp"
#include "clients/docker/fake_engine.hpp"

namespace stackd::ownership {
namespace {

namespace net = boost::asio;

template <typename T>
T run(net::io_context& io, net::awaitable<T> a) {
  auto f = net::co_spawn(io, std::move(a), net::use_future);
  io.restart();
  io.run();
  return f.get();
}

net::awaitable<int> replace_volume(docker::FakeEngine& e, std::string name, std::optional<docker::Labels> labels) {
  co_await e.remove_volume(name);
  if (labels) co_await e.create_volume(name, *labels);
  co_return 0;
}

struct OwnershipTest : ::testing::Test {
  net::io_context io;
  docker::FakeEngine engine;
  std::optional<DaemonRecord> record(const std::string& stack) { return run(io, read_record(engine, stack)); }
  void claim(DaemonClaim& c, const std::string& stack, const std::string& listen = "127.0.0.1:29321") {
    run(io, [](DaemonClaim& c, std::string s, std::string l) -> net::awaitable<int> {
      co_await c.claim(s, l);
      co_return 0;
    }(c, stack, listen));
  }
  void release(DaemonClaim& c) {
    run(io, [](DaemonClaim& c) -> net::awaitable<int> {
      co_await c.release();
      co_return 0;
    }(c));
  }
  WriterCheck check(Verb verb, const std::string& stack, bool force = false) {
    return run(io, check_writer(engine, verb, stack, force));
  }
};

TEST_F(OwnershipTest, AClaimIsALabelledVolumeNamingThisProcess) {
  DaemonClaim c(engine, "2026-01-01T00:00:00Z", false);
  claim(c, "frontier");
  auto v = engine.volumes().find("frontier-stackd-daemon");
  ASSERT_NE(v, engine.volumes().end());
  EXPECT_EQ(v->second.labels.at(labels::kManagedBy), "stackd");
  EXPECT_EQ(v->second.labels.at(labels::kStack), "frontier");
  auto r = record("frontier");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->instance, c.instance());
  EXPECT_EQ(r->pid, static_cast<long>(::getpid()));
  EXPECT_EQ(r->listen, "127.0.0.1:29321");
}

TEST_F(OwnershipTest, ApplyAndDownRefuseWhileTheDaemonRunsAndProceedWithForce) {
  DaemonClaim c(engine, "2026-01-01T00:00:00Z", false);
  claim(c, "frontier");
  auto refused = check(Verb::Down, "frontier");
  EXPECT_FALSE(refused.decision.proceed);
  EXPECT_NE(refused.decision.message.find("(pid " + std::to_string(::getpid()) + ")"), std::string::npos)
      << refused.decision.message;
  EXPECT_TRUE(refused.daemon_serves());
  EXPECT_TRUE(check(Verb::Apply, "frontier", true).decision.proceed);
  EXPECT_TRUE(check(Verb::Apply, "other-stack").decision.proceed) << "another stack is not managed";
}

TEST_F(OwnershipTest, ASecondDaemonOfTheSameStackIsRefusedAndForceTakesOver) {
  DaemonClaim first(engine, "2026-01-01T00:00:00Z", false);
  claim(first, "frontier");
  DaemonClaim second(engine, "2026-01-01T00:01:00Z", false);
  EXPECT_THROW(claim(second, "frontier"), ClaimRefused);
  EXPECT_EQ(record("frontier")->instance, first.instance());

  DaemonClaim forced(engine, "2026-01-01T00:02:00Z", true);
  claim(forced, "frontier");
  EXPECT_EQ(record("frontier")->instance, forced.instance());
  // The first daemon sees it was taken over and does not take it back.
  EXPECT_TRUE(run(io, first.taken_over_by()));
  EXPECT_THROW(claim(first, "frontier"), ClaimRefused);
  EXPECT_EQ(record("frontier")->instance, forced.instance());
  // Its stop does not remove the record it no longer holds.
  release(first);
  EXPECT_TRUE(record("frontier"));
}

TEST_F(OwnershipTest, TheRecordOfACrashedDaemonLocksNobodyOut) {
  DaemonClaim crashed(engine, "2026-01-01T00:00:00Z", false);
  claim(crashed, "frontier");
  // Rewrite it as a process that has exited: the same host, boot and
  // namespace, a pid whose start time does not match.
  auto labels = engine.volumes().at("frontier-stackd-daemon").labels;
  labels["dev.stackd.daemon.pid-start"] = "1";
  run(io, replace_volume(engine, "frontier-stackd-daemon", labels));
  auto apply = check(Verb::Apply, "frontier");
  EXPECT_TRUE(apply.decision.proceed);
  EXPECT_FALSE(apply.daemon_serves());
  EXPECT_NE(apply.decision.message.find("is gone"), std::string::npos) << apply.decision.message;
  DaemonClaim next(engine, "2026-01-01T00:05:00Z", false);
  claim(next, "frontier");
  EXPECT_EQ(record("frontier")->instance, next.instance());
}

TEST_F(OwnershipTest, StoppingRemovesTheRecordAndARenameMovesIt) {
  DaemonClaim c(engine, "2026-01-01T00:00:00Z", false);
  claim(c, "frontier-a");
  claim(c, "frontier-b");
  EXPECT_FALSE(record("frontier-a")) << "the old name is given up";
  EXPECT_EQ(record("frontier-b")->instance, c.instance());
  // A moved endpoint is a new record (labels cannot change).
  claim(c, "frontier-b", "127.0.0.1:29400");
  EXPECT_EQ(record("frontier-b")->listen, "127.0.0.1:29400");
  release(c);
  EXPECT_FALSE(record("frontier-b"));
  EXPECT_TRUE(engine.volumes().empty());
}

TEST_F(OwnershipTest, ARemovedRecordIsPutBack) {
  DaemonClaim c(engine, "2026-01-01T00:00:00Z", false);
  claim(c, "frontier");
  run(io, replace_volume(engine, "frontier-stackd-daemon", std::nullopt));
  claim(c, "frontier");
  EXPECT_EQ(record("frontier")->instance, c.instance());
}

TEST_F(OwnershipTest, AForeignVolumeOfThatNameIsLeftAloneAndRefusesTheClaim) {
  run(io, replace_volume(engine, "frontier-stackd-daemon", docker::Labels{{"owner", "someone"}}));
  DaemonClaim c(engine, "2026-01-01T00:00:00Z", false);
  EXPECT_THROW(claim(c, "frontier"), ClaimRefused);
  EXPECT_EQ(engine.volumes().at("frontier-stackd-daemon").labels.at("owner"), "someone");
  EXPECT_TRUE(check(Verb::Down, "frontier").decision.proceed) << "not a record: nothing manages the stack";
}

}  // namespace
}  // namespace stackd::ownership

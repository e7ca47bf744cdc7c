#include "sources/git/git_source.hpp"

#include <boost/asio/io_context.hpp>
#include <gtest/gtest.h>

#include "common/metrics/metrics.hpp"
#include "runtime/fake_clock.hpp"
#include "sources/git/git_test_support.hpp"

namespace stackd::git {
namespace {
namespace fs = std::filesystem;
using namespace std::chrono_literals;
using testing::Remote;
using testing::ScratchDir;

struct Harness {
  ScratchDir tmp{"source"};
  Remote remote{tmp.path()};
  boost::asio::io_context io;
  runtime::FakeClock clock;
  runtime::FakeRandom random;
  metrics::Registry registry;
  std::unique_ptr<GitTracker> tracker;
  std::unique_ptr<GitSource> source;
  int enqueued = 0;

  void make(GitSourceConfig config = {}) {
    GitRepositoryConfig c;
    c.remote = parse_remote_url(remote.file_url());
    c.dir = tmp.path() / "state";
    tracker = std::make_unique<GitTracker>(c, clock, &registry);
    source = std::make_unique<GitSource>(io.get_executor(), clock, random, *tracker, config);
    source->start({[this](const std::string& key) { if (key == "manifest") ++enqueued; }, [] {}});
  }
  // Runs the event loop until the fetch in flight (if any) finished.
  void settle(std::uint64_t fetches) {
    auto deadline = std::chrono::steady_clock::now() + 30s;
    clock.advance(0ms);
    while (std::chrono::steady_clock::now() < deadline) {
      io.run_for(20ms);
      io.restart();
      if (source->fetches_started() >= fetches && source->status().contains("nextFetchInMs")) return;
    }
    FAIL() << "no fetch finished";
  }
  ~Harness() {
    if (source) source->stop();
    if (tracker) tracker->stop();
  }
};

TEST(GitSource, EnqueuesTheManifestOnlyForANewCommit) {
  Harness h;
  auto first = h.remote.commit({{"f", "1"}}, "first");
  h.make({10s});
  h.settle(1);
  EXPECT_EQ(h.enqueued, 1);
  EXPECT_EQ(h.source->status()["revision"], "main@sha1:" + first);
  EXPECT_NE(h.registry.expose().find("stackd_source_revision_info{source=\"git\",revision=\"main@sha1:" + first + "\"} 1"),
            std::string::npos);
  h.tracker->applied(first);

  // The interval passes, nothing was pushed: no work.
  h.clock.advance(10s);
  h.settle(2);
  EXPECT_EQ(h.enqueued, 1);

  auto second = h.remote.commit({{"f", "2"}}, "second");
  h.clock.advance(10s);
  h.settle(3);
  EXPECT_EQ(h.enqueued, 2);
  EXPECT_EQ(h.source->status()["revision"], "main@sha1:" + second);
  auto metrics = h.registry.expose();
  EXPECT_EQ(metrics.find(first), std::string::npos) << "the old revision's series stays";
}

TEST(GitSource, TriggerFetchesWithoutWaitingForTheInterval) {
  Harness h;
  h.remote.commit({{"f", "1"}}, "first");
  h.make({1h});
  h.settle(1);
  h.remote.commit({{"f", "2"}}, "second");
  h.source->trigger();
  h.settle(2);
  EXPECT_EQ(h.enqueued, 2);
}

TEST(GitSource, AFailingRemoteBacksOffAndRecovers) {
  Harness h;
  auto first = h.remote.commit({{"f", "1"}}, "first");
  h.make({1min});
  h.settle(1);
  const auto moved = h.tmp.path() / "moved.git";
  fs::rename(h.remote.bare(), moved);
  h.clock.advance(1min);
  h.settle(2);
  auto s = h.source->status();
  ASSERT_TRUE(s.contains("lastError")) << s.dump();
  EXPECT_TRUE(s.contains("lastErrorSince"));
  EXPECT_EQ(s["revision"], "main@sha1:" + first);
  // First retry after the backoff base (2 s, FakeRandom: no jitter), not a minute.
  EXPECT_EQ(s["nextFetchInMs"], 2000);
  h.clock.advance(2s);
  h.settle(3);
  EXPECT_EQ(h.source->status()["nextFetchInMs"], 4000);
  EXPECT_EQ(h.source->status()["consecutiveFailures"], 2);

  fs::rename(moved, h.remote.bare());
  h.clock.advance(4s);
  h.settle(4);
  s = h.source->status();
  EXPECT_FALSE(s.contains("lastError")) << s.dump();
  EXPECT_EQ(s["nextFetchInMs"], 60000);
  EXPECT_EQ(h.enqueued, 1);
}

}  // namespace
}  // namespace stackd::git

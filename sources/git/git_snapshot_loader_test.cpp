#include "sources/git/git_snapshot_loader.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>
#include <gtest/gtest.h>

#include "api/v1alpha1/loader.hpp"
#include "runtime/fake_clock.hpp"
#include "runtime/reconciler.hpp"
#include "sources/git/git_test_support.hpp"

namespace stackd::git {
namespace {
namespace fs = std::filesystem;
using testing::Remote;
using testing::ScratchDir;

const char* kGood = R"(apiVersion: stackd.dev/v1alpha1
kind: MonitoringStack
metadata: {name: demo}
spec:
  network: host
  nodeExporter: {port: 9100}
)";
const char* kBad = R"(apiVersion: stackd.dev/v1alpha1
kind: MonitoringStack
metadata: {name: demo}
spec:
  network: host
  nodeExporter: {port: 9100, colour: blue}
)";

// The real manifest loader, as the daemon's snapshot builder uses it.
SnapshotBuilder manifest_builder() {
  return [](const fs::path& path, const desired::SourceRevision& source) -> boost::asio::awaitable<desired::SnapshotPtr> {
    auto s = std::make_shared<desired::Snapshot>();
    s->manifest = manifest::load(path.string());
    s->revision = s->manifest.revision;
    s->source = source;
    co_return s;
  };
}

struct Harness {
  ScratchDir tmp{"loader"};
  Remote remote{tmp.path()};
  boost::asio::io_context io;
  runtime::FakeClock clock;
  std::unique_ptr<GitTracker> tracker;
  std::unique_ptr<GitSnapshotLoader> loader;
  void make(const std::string& path = "deploy/stack.yaml") {
    GitRepositoryConfig c;
    c.remote = parse_remote_url(remote.file_url());
    c.dir = tmp.path() / "state";
    tracker = std::make_unique<GitTracker>(c, clock);
    loader = std::make_unique<GitSnapshotLoader>(*tracker, path, manifest_builder());
  }
  desired::SnapshotPtr load() {
    auto f = boost::asio::co_spawn(io, loader->load(), boost::asio::use_future);
    io.run();
    io.restart();
    return f.get();
  }
  ~Harness() {
    if (tracker) tracker->stop();
  }
};

TEST(GitSnapshotLoader, LoadsTheManifestOfTheFetchedCommit) {
  Harness h;
  auto commit = h.remote.commit({{"deploy/stack.yaml", kGood}}, "good");
  h.make();
  auto snapshot = h.load();
  EXPECT_EQ(snapshot->source.source, "git");
  EXPECT_EQ(snapshot->source.revision, "main@sha1:" + commit);
  EXPECT_EQ(snapshot->source.display_url, h.remote.file_url());
  EXPECT_EQ(snapshot->manifest.name, "demo");
  EXPECT_EQ(h.tracker->applied_commit(), commit);
}

TEST(GitSnapshotLoader, AnInvalidCommitIsSourceInvalidWithRepositoryRelativePositions) {
  Harness h;
  auto good = h.remote.commit({{"deploy/stack.yaml", kGood}}, "good");
  h.make();
  h.load();
  auto bad = h.remote.commit({{"deploy/stack.yaml", kBad}}, "bad");
  auto fetched = [&] {
    auto f = boost::asio::co_spawn(h.io, h.tracker->fetch(), boost::asio::use_future);
    h.io.run();
    h.io.restart();
    return f.get().commit;
  }();
  ASSERT_EQ(fetched, bad);
  try {
    h.load();
    FAIL() << "loaded an invalid manifest";
  } catch (const runtime::ReconcileError& e) {
    EXPECT_EQ(e.reason(), "SourceInvalid");
    EXPECT_EQ(e.retry(), runtime::ReconcileError::Retry::Never);
    std::string m = e.what();
    EXPECT_NE(m.find("commit main@sha1:" + bad), std::string::npos) << m;
    EXPECT_NE(m.find("deploy/stack.yaml:6:30: unknown field 'colour'"), std::string::npos) << m;
    EXPECT_EQ(m.find(h.tmp.path().string()), std::string::npos) << "names a path of the state directory: " << m;
  }
  // The good commit stays the applied one; the bad one is decided (no reload loop).
  EXPECT_EQ(h.tracker->applied_commit(), good);
  EXPECT_TRUE(h.tracker->decided(bad));
  EXPECT_EQ(h.tracker->status()["invalidRevision"]["reason"], "SourceInvalid");
}

TEST(GitSnapshotLoader, AMissingPathIsSourceInvalid) {
  Harness h;
  h.remote.commit({{"elsewhere.yaml", kGood}}, "no manifest at the path");
  h.make();
  try {
    h.load();
    FAIL();
  } catch (const runtime::ReconcileError& e) {
    EXPECT_EQ(e.reason(), "SourceInvalid");
    EXPECT_NE(std::string(e.what()).find("deploy/stack.yaml: no such file in the repository"), std::string::npos) << e.what();
  }
}

TEST(GitSnapshotLoader, UnreachableRemoteWithNoPreviousCommitIsRetryable) {
  Harness h;
  h.make();  // the remote has no commit yet: the ref does not exist
  try {
    h.load();
    FAIL();
  } catch (const runtime::ReconcileError& e) {
    EXPECT_EQ(e.reason(), "SourceUnavailable");
    EXPECT_EQ(e.retry(), runtime::ReconcileError::Retry::Backoff);
  }
  EXPECT_THROW(GitSnapshotLoader(*h.tracker, "../outside.yaml", manifest_builder()), std::invalid_argument);
}

}  // namespace
}  // namespace stackd::git

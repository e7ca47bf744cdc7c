#include "sources/git/git_repository.hpp"

#include <gtest/gtest.h>

#include <fstream>
#include <random>
#include <thread>

#include "sources/git/git_test_support.hpp"

namespace stackd::git {
namespace {
namespace fs = std::filesystem;
using testing::Remote;
using testing::ScratchDir;

std::string slurp(const fs::path& p) {
  std::ifstream in(p);
  return {std::istreambuf_iterator<char>(in), {}};
}

GitRepositoryConfig config_for(const Remote& remote, const fs::path& state, const std::string& ref = "main") {
  GitRepositoryConfig c;
  c.remote = parse_remote_url(remote.file_url());
  c.ref = ref;
  c.dir = state / "git";
  c.fetch_limits.timeout = std::chrono::seconds(30);
  return c;
}

TEST(GitRepository, RefsAreBranchTagOrCommitNames) {
  ScratchDir state("refs");
  auto with_ref = [&](const std::string& ref) {
    GitRepositoryConfig c;
    c.remote = parse_remote_url("https://example.org/r.git");
    c.ref = ref;
    c.dir = state.path() / "git";
    return c;
  };
  const std::vector<std::string> bad_refs{"",  "-x",  "a..b", "a//b", "a/", "x.lock", "a b", "a~1",
                                         std::string(256, 'a'), std::string(1024 * 1024, 'a')};
  for (const auto& bad : bad_refs)
    EXPECT_THROW(GitRepository{with_ref(bad)}, std::invalid_argument) << bad.substr(0, 20);
  EXPECT_NO_THROW(GitRepository{with_ref("release/v1.2+build_3-x")});
  EXPECT_TRUE(is_full_sha(std::string(40, 'A')));
  EXPECT_FALSE(is_full_sha(std::string(39, 'a')));
  EXPECT_FALSE(is_full_sha(std::string(39, 'a') + "g"));
}

TEST(GitRepository, FetchesTheRefAndWritesEachCommitToItsOwnDirectory) {
  ScratchDir tmp("repo");
  Remote remote(tmp.path());
  auto first = remote.commit({{"deploy/stack.yaml", "one"}, {"deploy/rules/a.yml", "a"}}, "first");
  GitRepository repo(config_for(remote, tmp.path() / "state"));
  EXPECT_EQ(repo.fetch().commit, first);
  auto dir1 = repo.checkout(first);
  EXPECT_EQ(slurp(dir1 / "deploy/stack.yaml"), "one");
  EXPECT_EQ(slurp(dir1 / "deploy/rules/a.yml"), "a");

  auto second = remote.commit({{"deploy/stack.yaml", "two"}}, "second");
  EXPECT_EQ(repo.fetch().commit, second);
  auto dir2 = repo.checkout(second);
  EXPECT_EQ(slurp(dir2 / "deploy/stack.yaml"), "two");
  // The first commit's directory is untouched by the second.
  EXPECT_EQ(slurp(dir1 / "deploy/stack.yaml"), "one");
  // Shallow: only the ref's commit, not its history.
  EXPECT_EQ(testing::run({"git", "--git-dir=" + repo.repo_dir().string(), "rev-list", "--count", second}), "1\n");
  repo.prune({second});
  EXPECT_FALSE(fs::exists(dir1));
  EXPECT_TRUE(fs::exists(dir2));
}

TEST(GitRepository, FollowsAForcePushAndTags) {
  ScratchDir tmp("repo");
  Remote remote(tmp.path());
  auto first = remote.commit({{"f", "1"}}, "first");
  auto second = remote.commit({{"f", "2"}}, "second");
  GitRepository repo(config_for(remote, tmp.path() / "state"));
  EXPECT_EQ(repo.fetch().commit, second);
  remote.force_push(first);
  EXPECT_EQ(repo.fetch().commit, first);

  remote.tag("v1", second);
  GitRepository tagged(config_for(remote, tmp.path() / "state-tag", "v1"));
  EXPECT_EQ(tagged.fetch().commit, second);
}

TEST(GitRepository, APinnedCommitNeverMoves) {
  ScratchDir tmp("repo");
  Remote remote(tmp.path());
  auto first = remote.commit({{"f", "1"}}, "first");
  remote.commit({{"f", "2"}}, "second");
  GitRepository repo(config_for(remote, tmp.path() / "state", first));
  EXPECT_TRUE(repo.pinned());
  EXPECT_EQ(repo.fetch().commit, first);
  remote.commit({{"f", "3"}}, "third");
  // Even with the remote gone, the pin is served locally.
  fs::rename(remote.bare(), tmp.path() / "moved.git");
  EXPECT_EQ(repo.fetch().commit, first);
}

TEST(GitRepository, UnknownRefAndUnreachableRemoteAreReportedWithoutSecrets) {
  ScratchDir tmp("repo");
  Remote remote(tmp.path());
  remote.commit({{"f", "1"}}, "first");
  GitRepository missing_ref(config_for(remote, tmp.path() / "state", "no-such-branch"));
  try {
    missing_ref.fetch();
    FAIL() << "fetched a missing ref";
  } catch (const FetchError& e) {
    EXPECT_EQ(e.kind(), FetchError::Kind::RefNotFound) << e.what();
    EXPECT_NE(std::string(e.what()).find("no-such-branch"), std::string::npos);
  }
  auto config = config_for(remote, tmp.path() / "state2");
  config.remote = parse_remote_url("https://user:hunter2secret@127.0.0.1:1/none.git");
  GitRepository unreachable(config);
  try {
    unreachable.fetch();
    FAIL() << "fetched from nowhere";
  } catch (const FetchError& e) {
    EXPECT_EQ(e.kind(), FetchError::Kind::Remote) << e.what();
    EXPECT_EQ(std::string(e.what()).find("hunter2secret"), std::string::npos) << e.what();
    EXPECT_EQ(std::string(e.what()).find("user:"), std::string::npos) << e.what();
  }
}

TEST(GitRepository, ReusesTheCheckoutAcrossRestartsAndRecoversFromCorruption) {
  ScratchDir tmp("repo");
  Remote remote(tmp.path());
  auto first = remote.commit({{"f", "1"}}, "first");
  const auto state = tmp.path() / "state";
  {
    GitRepository repo(config_for(remote, state));
    EXPECT_EQ(repo.fetch().commit, first);
  }
  {
    // A restart: the previous commit is known before any fetch.
    GitRepository repo(config_for(remote, state));
    EXPECT_EQ(repo.local_commit(), first);
    // A lock file left by a killed git would block every later fetch.
    std::ofstream(repo.repo_dir() / "shallow.lock") << "";
    std::ofstream(repo.repo_dir() / "refs/stackd/target.lock") << "";
    auto second = remote.commit({{"f", "2"}}, "second");
    auto r = repo.fetch();
    EXPECT_EQ(r.commit, second);
    EXPECT_FALSE(r.recreated);
  }
  {
    GitRepository repo(config_for(remote, state));
    // Lose every object: fsck fails, the copy is rebuilt.
    for (const auto& e : fs::directory_iterator(repo.repo_dir() / "objects"))
      if (e.path().filename() != "info") fs::remove_all(e.path());
    auto r = repo.fetch();
    EXPECT_TRUE(r.recreated);
    EXPECT_EQ(slurp(repo.checkout(r.commit) / "f"), "2");
  }
  {
    GitRepository repo(config_for(remote, state));
    std::ofstream(repo.repo_dir() / "HEAD", std::ios::trunc) << "garbage";
    auto r = repo.fetch();
    EXPECT_TRUE(r.recreated);
  }
}

TEST(GitRepository, AnotherProcessCannotShareTheDirectory) {
  ScratchDir tmp("repo");
  Remote remote(tmp.path());
  GitRepository repo(config_for(remote, tmp.path() / "state"));
  // flock is per open file description: a second open in this process is refused too.
  EXPECT_THROW(GitRepository(config_for(remote, tmp.path() / "state")), std::runtime_error);
}

std::string random_bytes(std::size_t n) {
  std::mt19937_64 rng(42);
  std::string s(n, '\0');
  for (auto& c : s) c = static_cast<char>(rng());
  return s;
}

TEST(GitRepository, ABoundOnSizeStopsAFetchThatWritesTooMuch) {
  ScratchDir tmp("repo");
  Remote remote(tmp.path());
  remote.commit({{"blob.bin", random_bytes(3 * 1024 * 1024)}}, "big");
  auto config = config_for(remote, tmp.path() / "state");
  config.fetch_limits.max_file_bytes = 1024 * 1024;
  GitRepository repo(config);
  try {
    repo.fetch();
    FAIL() << "fetched 3 MiB with a 1 MiB bound";
  } catch (const FetchError& e) {
    EXPECT_EQ(e.kind(), FetchError::Kind::TooLarge) << e.what();
  }
}

TEST(GitRepository, AKillNineMidFetchLeavesACopyTheNextFetchRepairs) {
  ScratchDir tmp("repo");
  Remote remote(tmp.path());
  auto big = remote.commit({{"blob.bin", random_bytes(24 * 1024 * 1024)}, {"f", "big"}}, "big");
  GitRepository repo(config_for(remote, tmp.path() / "state"));
  // Kill (SIGKILL to the process group) as soon as a pack is being written.
  std::atomic<bool> done{false};
  std::atomic<bool> killed_mid_write{false};
  std::thread killer([&] {
    const auto pack = repo.repo_dir() / "objects" / "pack";
    while (!done) {
      std::error_code ec;
      for (auto it = fs::directory_iterator(pack, ec); !ec && it != fs::directory_iterator(); ++it)
        if (it->path().filename().string().starts_with("tmp_pack_")) {
          repo.cancel();
          killed_mid_write = true;
          return;
        }
      std::this_thread::yield();
    }
  });
  EXPECT_THROW(repo.fetch(), FetchError);
  done = true;
  killer.join();
  ASSERT_TRUE(killed_mid_write) << "the fetch finished before it could be killed";
  repo.resume();
  auto r = repo.fetch();
  EXPECT_EQ(r.commit, big);
  EXPECT_EQ(slurp(repo.checkout(big) / "f"), "big");
}

}  // namespace
}  // namespace stackd::git

#include "runtime/file_watcher.hpp"

#include <boost/asio/io_context.hpp>
#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>

namespace stackd::runtime {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

void write_file(const fs::path& p, const std::string& content) {
  std::ofstream out(p, std::ios::binary | std::ios::trunc);
  out << content;
}

// Real files, real inotify, the real clock: every save style is exercised
// the way editors, git and the kubelet do it.
struct FileWatcherTest : ::testing::Test {
  net::io_context io;
  SystemClock clock{io.get_executor()};
  int changes = 0;
  FileWatcher watcher{io.get_executor(), clock, [this] { ++changes; }};
  fs::path dir;

  void SetUp() override {
    std::string tmpl = (fs::temp_directory_path() / "stackd-fw-XXXXXX").string();
    ASSERT_NE(mkdtemp(tmpl.data()), nullptr);
    dir = tmpl;
  }
  void TearDown() override {
    watcher.stop();
    fs::remove_all(dir);
  }
  // Runs the loop until `want` changes were reported (or 3 s passed).
  void wait_for_changes(int want) {
    const auto deadline = std::chrono::steady_clock::now() + 3s;
    while (changes < want && std::chrono::steady_clock::now() < deadline) io.run_for(20ms);
  }
  // Runs the loop long enough for a debounced check to have happened.
  void settle() {
    const auto until = std::chrono::steady_clock::now() + 400ms;
    while (std::chrono::steady_clock::now() < until) io.run_for(20ms);
  }
  void run_git(const std::string& args) {
    const std::string cmd = "git -C '" + dir.string() +
                            "' -c user.name=t -c user.email=t@example.invalid -c init.defaultBranch=main " + args +
                            " >/dev/null 2>&1";
    ASSERT_EQ(std::system(cmd.c_str()), 0) << cmd;
  }
};

TEST_F(FileWatcherTest, InPlaceWriteIsSeen) {
  write_file(dir / "stack.yaml", "a: 1\n");
  watcher.set_files({dir / "stack.yaml"});
  watcher.start();
  const auto t0 = std::chrono::steady_clock::now();
  write_file(dir / "stack.yaml", "a: 2\n");
  wait_for_changes(1);
  const auto latency = std::chrono::steady_clock::now() - t0;
  EXPECT_EQ(changes, 1);
  // the stack follows an edit within a second; the watcher's share
  // is the debounce plus a hash.
  EXPECT_LT(latency, 500ms);
  RecordProperty("edit_to_callback_ms",
                 static_cast<int>(std::chrono::duration_cast<std::chrono::milliseconds>(latency).count()));
  std::ofstream(dir / "stack.yaml", std::ios::app) << "b: 3\n";  // append, e.g. `>>`
  wait_for_changes(2);
  EXPECT_EQ(changes, 2);
}

TEST_F(FileWatcherTest, SaveByRenameIsSeenRepeatedly) {
  write_file(dir / "stack.yaml", "v: 0\n");
  watcher.set_files({dir / "stack.yaml"});
  watcher.start();
  for (int i = 1; i <= 3; ++i) {  // the inode changes every time: a file watch would go deaf
    write_file(dir / ".stack.yaml.tmp", "v: " + std::to_string(i) + "\n");
    fs::rename(dir / ".stack.yaml.tmp", dir / "stack.yaml");
    wait_for_changes(i);
    EXPECT_EQ(changes, i);
  }
}

TEST_F(FileWatcherTest, GitCheckoutIsSeen) {
  fs::create_directories(dir / "prometheus");
  run_git("init -q");
  write_file(dir / "stack.yaml", "rules: [prometheus/alerts.yml]\n");
  write_file(dir / "prometheus/alerts.yml", "groups: []\n");
  run_git("add -A");
  run_git("commit -q -m one");
  run_git("checkout -q -b two");
  write_file(dir / "prometheus/alerts.yml", "groups: [{name: ollama, rules: []}]\n");
  run_git("commit -q -am two");
  run_git("checkout -q main");

  watcher.set_files({dir / "stack.yaml", dir / "prometheus/alerts.yml"});
  watcher.start();
  run_git("checkout -q two");
  wait_for_changes(1);
  EXPECT_EQ(changes, 1);
  run_git("checkout -q main");
  wait_for_changes(2);
  EXPECT_EQ(changes, 2);
}

TEST_F(FileWatcherTest, ConfigMapSymlinkSwapIsSeen) {
  // The kubelet's layout: stack.yaml -> ..data/stack.yaml, ..data -> ..<timestamp>/
  fs::create_directories(dir / "..2026_01");
  write_file(dir / "..2026_01/stack.yaml", "v: 1\n");
  fs::create_directory_symlink("..2026_01", dir / "..data");
  fs::create_symlink("..data/stack.yaml", dir / "stack.yaml");
  watcher.set_files({dir / "stack.yaml"});
  watcher.start();
  for (int i = 2; i <= 3; ++i) {
    const std::string next = "..2026_0" + std::to_string(i);
    const std::string prev = "..2026_0" + std::to_string(i - 1);
    fs::create_directories(dir / next);
    write_file(dir / next / "stack.yaml", "v: " + std::to_string(i) + "\n");
    fs::create_directory_symlink(next, dir / "..data_tmp");
    fs::rename(dir / "..data_tmp", dir / "..data");  // the atomic swap
    fs::remove_all(dir / prev);
    wait_for_changes(i - 1);
    EXPECT_EQ(changes, i - 1);
  }
}

TEST_F(FileWatcherTest, ABurstOfWritesIsOneChange) {
  write_file(dir / "stack.yaml", "v: 0\n");
  watcher.set_files({dir / "stack.yaml"});
  watcher.start();
  for (int i = 1; i <= 20; ++i) write_file(dir / "stack.yaml", "v: " + std::to_string(i) + "\n");
  wait_for_changes(1);
  settle();
  EXPECT_EQ(changes, 1);
}

TEST_F(FileWatcherTest, NoContentChangeIsNoChange) {
  write_file(dir / "stack.yaml", "v: 0\n");
  watcher.set_files({dir / "stack.yaml"});
  watcher.start();
  write_file(dir / "stack.yaml", "v: 0\n");           // same bytes
  fs::last_write_time(dir / "stack.yaml", fs::file_time_type::clock::now());  // touch
  write_file(dir / ".stack.yaml.swp", "editor state");  // swap file next to it
  write_file(dir / "unrelated.txt", "x");
  settle();
  EXPECT_EQ(changes, 0);
}

TEST_F(FileWatcherTest, ReferencedFilesCountDeletionCountsAndTheListIsUpdatable) {
  fs::create_directories(dir / "grafana/dashboards");
  write_file(dir / "stack.yaml", "v: 0\n");
  write_file(dir / "grafana/dashboards/ollama.json", "{}");
  write_file(dir / "grafana/dashboards/old.json", "{}");
  watcher.set_files({dir / "stack.yaml", dir / "grafana/dashboards/ollama.json", dir / "grafana/dashboards/old.json"});
  watcher.start();
  write_file(dir / "grafana/dashboards/ollama.json", R"({"title":"Ollama"})");
  wait_for_changes(1);
  EXPECT_EQ(changes, 1);
  fs::remove(dir / "grafana/dashboards/ollama.json");
  wait_for_changes(2);
  EXPECT_EQ(changes, 2);

  // The manifest no longer references old.json; it now references rules
  // in a directory that does not exist yet.
  watcher.set_files({dir / "stack.yaml", dir / "prometheus/rules/alerts.yml"});
  write_file(dir / "grafana/dashboards/old.json", "{\"changed\":true}");
  settle();
  EXPECT_EQ(changes, 2);
  fs::create_directories(dir / "prometheus/rules");
  write_file(dir / "prometheus/rules/alerts.yml", "groups: []\n");
  wait_for_changes(3);
  EXPECT_EQ(changes, 3);
  EXPECT_TRUE(watcher.watched_directories().contains(dir / "prometheus/rules"));
}

TEST_F(FileWatcherTest, RelativePathsAndTooManyFiles) {
  FileWatcher small(io.get_executor(), clock, [] {}, {.max_files = 2});
  EXPECT_THROW(small.set_files({"a", "b", "c"}), std::invalid_argument);
  const fs::path cwd = fs::current_path();
  fs::current_path(dir);
  write_file("stack.yaml", "v: 0\n");
  watcher.set_files({"stack.yaml"});
  fs::current_path(cwd);
  watcher.start();
  write_file(dir / "stack.yaml", "v: 1\n");
  wait_for_changes(1);
  EXPECT_EQ(changes, 1);
}

TEST_F(FileWatcherTest, StopEndsAllWorkAndDestructionIsSafe) {
  write_file(dir / "stack.yaml", "v: 0\n");
  {
    FileWatcher temporary(io.get_executor(), clock, [] {});
    temporary.set_files({dir / "stack.yaml"});
    temporary.start();
    write_file(dir / "stack.yaml", "v: 1\n");
  }  // destroyed with a read and maybe a check pending
  watcher.set_files({dir / "stack.yaml"});
  watcher.start();
  watcher.stop();
  io.restart();
  io.run_for(500ms);
  EXPECT_TRUE(io.stopped());  // nothing left on the loop
  EXPECT_EQ(changes, 0);
}

}  // namespace
}  // namespace stackd::runtime

#include "sources/git/git_process.hpp"

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/mman.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <thread>

namespace stackd::git {
namespace {

ProcessSpec sh(const std::string& script) {
  ProcessSpec spec;
  spec.argv = {"/bin/sh", "-c", script};
  spec.env = {"PATH=/usr/bin:/bin", "ONLY=this"};
  return spec;
}

TEST(ProcessRunner, CapturesOutputAndExitCode) {
  ProcessRunner runner;
  auto r = runner.run(sh("echo out; echo err >&2; exit 3"));
  EXPECT_EQ(r.exit_code, 3);
  EXPECT_EQ(r.out, "out\n");
  EXPECT_EQ(r.err, "err\n");
  EXPECT_FALSE(r.ok());
  EXPECT_EQ(r.describe(), "exit 3");
}

TEST(ProcessRunner, ChildGetsExactlyTheGivenEnvironment) {
  setenv("STACKD_SHOULD_NOT_LEAK", "secret-value", 1);
  ProcessRunner runner;
  auto r = runner.run(sh("env"));
  ASSERT_TRUE(r.ok()) << r.err;
  EXPECT_NE(r.out.find("ONLY=this"), std::string::npos);
  EXPECT_EQ(r.out.find("STACKD_SHOULD_NOT_LEAK"), std::string::npos);
}

TEST(ProcessRunner, DeadlineKillsTheWholeProcessGroup) {
  ProcessRunner runner;
  auto spec = sh("sleep 30 & echo $! > /dev/stderr; wait");
  spec.limits.timeout = std::chrono::milliseconds(300);
  auto start = std::chrono::steady_clock::now();
  auto r = runner.run(spec);
  auto took = std::chrono::steady_clock::now() - start;
  EXPECT_TRUE(r.timed_out);
  EXPECT_FALSE(r.ok());
  EXPECT_LT(took, std::chrono::seconds(5));
  // The grandchild (sleep) died with the group: gone, or a zombie waiting for
  // its reaper. SIGKILL is delivered at once but the exit itself takes a
  // moment on a loaded machine, hence the bounded poll.
  const pid_t grandchild = std::stoi(r.err);
  auto dead = [&] {
    std::ifstream stat("/proc/" + std::to_string(grandchild) + "/stat");
    std::string pid, comm, state;
    if (!(stat >> pid >> comm >> state)) return true;
    return state == "Z" || state == "X";
  };
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (!dead() && std::chrono::steady_clock::now() < deadline) std::this_thread::yield();
  EXPECT_TRUE(dead()) << "sleep survived";
}

TEST(ProcessRunner, EndlessOutputIsCutAtItsLimit) {
  ProcessRunner runner;
  auto spec = sh("yes");
  spec.limits.max_stdout = 64 * 1024;
  auto r = runner.run(spec);
  EXPECT_TRUE(r.stdout_overflow);
  EXPECT_EQ(r.out.size(), 64u * 1024);
}

TEST(ProcessRunner, FileSizeLimitKillsAWriterOfTooLargeAFile) {
  auto dir = std::filesystem::temp_directory_path() / ("stackd-proc-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  ProcessRunner runner;
  auto spec = sh("head -c 3000000 /dev/zero > big");
  spec.cwd = dir;
  spec.limits.max_file_bytes = 1024 * 1024;
  auto r = runner.run(spec);
  EXPECT_FALSE(r.ok());
  EXPECT_LE(std::filesystem::file_size(dir / "big"), 1024u * 1024);
  std::filesystem::remove_all(dir);
}

TEST(ProcessRunner, InheritsOnlyTheListedDescriptors) {
  int fd = ::memfd_create("t", MFD_CLOEXEC);
  ASSERT_EQ(::write(fd, "hello", 5), 5);
  ProcessRunner runner;
  auto spec = sh("cat /proc/self/fd/3; ls /proc/self/fd | wc -l");
  spec.inherit = {{fd, 3}};
  auto r = runner.run(spec);
  ::close(fd);
  ASSERT_TRUE(r.ok()) << r.err;
  // 0,1,2,3 and the descriptor ls uses to read the directory.
  EXPECT_EQ(r.out, "hello5\n");
}

TEST(ProcessRunner, CancelFromAnotherThreadKillsTheRunningChild) {
  ProcessRunner runner;
  auto spec = sh("echo started; exec sleep 30");
  spec.limits.timeout = std::chrono::seconds(60);
  std::thread canceller([&] {
    // Cancel as soon as the runner holds a child; cancel before the fork
    // is also honoured (cancelled_ is checked first).
    runner.cancel();
  });
  auto r = runner.run(spec);
  canceller.join();
  EXPECT_TRUE(r.cancelled);
  EXPECT_FALSE(r.ok());
  runner.reset();
  EXPECT_TRUE(runner.run(sh("true")).ok());
}

TEST(ProcessRunner, MissingProgramIsAnError) {
  ProcessRunner runner;
  ProcessSpec spec;
  spec.argv = {"no-such-program-stackd"};
  spec.env = {"PATH=/nonexistent"};
  EXPECT_THROW(runner.run(spec), std::runtime_error);
}

}  // namespace
}  // namespace stackd::git

#pragma once
// Runs one git command as a child process with everything bounded: a
// deadline (the whole process group is killed when it passes), a cap on the
// bytes read from stdout and stderr, and RLIMIT_FSIZE on every file the child
// writes, so a remote that answers slowly or streams forever cannot block the
// daemon or fill its disk (git's index-pack writes a pack as one file).
//
// The child gets exactly the environment given (nothing inherited), stdin
// from /dev/null, its own process group, and no descriptors of the daemon
// except those listed in `inherit` (credentials travel that way, never in
// argv or the environment, which `ps e` and /proc show).
#include <atomic>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <mutex>
#include <string>
#include <sys/types.h>
#include <vector>

namespace stackd::git {

struct ProcessLimits {
  std::chrono::milliseconds timeout{std::chrono::seconds(60)};
  std::size_t max_stdout = 1024 * 1024;
  std::size_t max_stderr = 64 * 1024;      // more is read and dropped
  std::uint64_t max_file_bytes = 256ull * 1024 * 1024;  // RLIMIT_FSIZE of the child
};

struct ProcessSpec {
  std::vector<std::string> argv;  // argv[0] is looked up in PATH of `env`
  std::vector<std::string> env;   // "NAME=value", the child's whole environment
  std::filesystem::path cwd;      // empty: the daemon's
  // (descriptor in this process, number in the child), e.g. {memfd, 3}.
  std::vector<std::pair<int, int>> inherit;
  ProcessLimits limits;
};

struct ProcessResult {
  int exit_code = -1;    // valid when exited
  int signal = 0;        // the signal that ended it, 0 when it exited
  bool timed_out = false;
  bool stdout_overflow = false;  // more than max_stdout: killed
  bool cancelled = false;
  std::string out;
  std::string err;
  bool ok() const { return signal == 0 && exit_code == 0 && !timed_out && !stdout_overflow && !cancelled; }
  // One line for people: "exit 128", "killed after 60s", ...
  std::string describe() const;
};

// Runs processes one at a time on the calling thread (blocking); cancel()
// may be called from any thread and kills the running one.
class ProcessRunner {
 public:
  ProcessResult run(const ProcessSpec& spec);
  void cancel();
  // Cancelled runners refuse new processes until reset().
  void reset() { cancelled_ = false; }
  bool cancelled() const { return cancelled_; }

 private:
  std::mutex mu_;
  pid_t running_ = 0;  // process group of the running child; 0 when none
  std::atomic<bool> cancelled_{false};
};

// Looks `program` up in the PATH entry of env (or the daemon's PATH).
std::string find_in_path(const std::string& program, const std::vector<std::string>& env);

}  // namespace stackd::git

#include "sources/git/git_process.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <system_error>

namespace stackd::git {
namespace {

using Steady = std::chrono::steady_clock;

// Parent-side descriptors live at 10 or above, so the child's dup2 onto
// 0..9 never overwrites a source it has not copied yet.
int high_cloexec(int fd) {
  int moved = ::fcntl(fd, F_DUPFD_CLOEXEC, 10);
  int saved = errno;
  ::close(fd);
  if (moved < 0) throw std::system_error(saved, std::generic_category(), "fcntl");
  return moved;
}

struct Pipe {
  int read = -1, write = -1;
  Pipe() {
    int fds[2];
    if (::pipe2(fds, O_CLOEXEC) != 0) throw std::system_error(errno, std::generic_category(), "pipe");
    read = high_cloexec(fds[0]);
    write = high_cloexec(fds[1]);
  }
  ~Pipe() {
    if (read >= 0) ::close(read);
    if (write >= 0) ::close(write);
  }
};

}  // namespace

std::string ProcessResult::describe() const {
  if (cancelled) return "cancelled";
  if (timed_out) return "killed after its deadline";
  if (stdout_overflow) return "killed: output larger than its limit";
  if (signal == SIGXFSZ) return "killed: wrote a file larger than its limit";
  if (signal != 0) return "killed by signal " + std::to_string(signal);
  return "exit " + std::to_string(exit_code);
}

std::string find_in_path(const std::string& program, const std::vector<std::string>& env) {
  if (program.find('/') != std::string::npos) return program;
  std::string path;
  for (const auto& e : env)
    if (e.rfind("PATH=", 0) == 0) path = e.substr(5);
  if (path.empty()) {
    const char* p = std::getenv("PATH");
    path = p ? p : "/usr/local/bin:/usr/bin:/bin";
  }
  std::size_t start = 0;
  while (start <= path.size()) {
    auto end = path.find(':', start);
    if (end == std::string::npos) end = path.size();
    auto dir = path.substr(start, end - start);
    if (!dir.empty()) {
      auto candidate = dir + "/" + program;
      if (::access(candidate.c_str(), X_OK) == 0) return candidate;
    }
    start = end + 1;
  }
  throw std::runtime_error(program + ": not found in PATH");
}

void ProcessRunner::cancel() {
  cancelled_ = true;
  std::lock_guard lock(mu_);
  if (running_ > 0) ::kill(-running_, SIGKILL);
}

ProcessResult ProcessRunner::run(const ProcessSpec& spec) {
  ProcessResult result;
  if (spec.argv.empty()) throw std::invalid_argument("ProcessRunner: empty argv");
  if (cancelled_) {
    result.cancelled = true;
    return result;
  }
  // Everything the child needs is prepared before fork: between fork and
  // exec only async-signal-safe calls are allowed in a threaded program.
  const std::string program = find_in_path(spec.argv[0], spec.env);
  std::vector<char*> argv, envp;
  for (const auto& a : spec.argv) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  for (const auto& e : spec.env) envp.push_back(const_cast<char*>(e.c_str()));
  envp.push_back(nullptr);
  std::vector<std::pair<int, int>> inherit;
  for (auto [fd, target] : spec.inherit) {
    if (target < 3 || target > 9) throw std::invalid_argument("ProcessRunner: inherited descriptors go to 3..9");
    inherit.emplace_back(::fcntl(fd, F_DUPFD_CLOEXEC, 10), target);
    if (inherit.back().first < 0) throw std::system_error(errno, std::generic_category(), "fcntl");
  }
  struct CloseAll {
    std::vector<std::pair<int, int>>& fds;
    ~CloseAll() {
      for (auto [fd, _] : fds) ::close(fd);
    }
  } close_inherited{inherit};
  // Descriptors 3..9 the child keeps (sorted here: no allocation after fork).
  bool keep[10] = {};
  for (auto [fd, target] : inherit) keep[target] = true;
  int devnull = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
  if (devnull < 0) throw std::system_error(errno, std::generic_category(), "/dev/null");
  devnull = high_cloexec(devnull);
  Pipe out, err;
  const std::string cwd = spec.cwd.string();
  rlimit fsize{spec.limits.max_file_bytes, spec.limits.max_file_bytes};

  std::unique_lock lock(mu_);
  pid_t pid = ::fork();
  if (pid < 0) {
    int e = errno;
    ::close(devnull);
    throw std::system_error(e, std::generic_category(), "fork");
  }
  if (pid == 0) {
    ::setpgid(0, 0);
    ::setrlimit(RLIMIT_FSIZE, &fsize);
    // Default dispositions: the daemon may ignore SIGPIPE or block signals.
    sigset_t none;
    sigemptyset(&none);
    ::sigprocmask(SIG_SETMASK, &none, nullptr);
    ::signal(SIGPIPE, SIG_DFL);
    ::signal(SIGXFSZ, SIG_DFL);
    if (::dup2(devnull, 0) < 0 || ::dup2(out.write, 1) < 0 || ::dup2(err.write, 2) < 0) ::_exit(127);
    for (auto [fd, target] : inherit)
      if (::dup2(fd, target) < 0) ::_exit(127);
    // Everything else goes, not only what was opened close-on-exec: a library
    // (the sanitizers' runtime, for one) may hold a descriptor without it.
    for (int fd = 3; fd < 10; ++fd)
      if (!keep[fd]) ::close(fd);
    ::syscall(SYS_close_range, 10u, ~0u, 0u);
    if (!cwd.empty() && ::chdir(cwd.c_str()) != 0) ::_exit(127);
    ::execve(program.c_str(), argv.data(), envp.data());
    ::_exit(127);
  }
  ::setpgid(pid, pid);  // both sides, so kill(-pid) works whichever runs first
  running_ = pid;
  lock.unlock();
  ::close(devnull);
  ::close(out.write);
  out.write = -1;
  ::close(err.write);
  err.write = -1;

  const auto deadline = Steady::now() + spec.limits.timeout;
  bool killed = false;
  Steady::time_point killed_at{};
  auto kill_group = [&] {
    std::lock_guard g(mu_);
    ::kill(-pid, SIGKILL);
    killed = true;
    killed_at = Steady::now();
  };
  pollfd fds[2] = {{out.read, POLLIN, 0}, {err.read, POLLIN, 0}};
  int open_fds = 2;
  char buffer[16384];
  while (open_fds > 0) {
    // A descendant that left the process group could hold the pipes open
    // forever; after the kill, stop reading within a second.
    if (killed && Steady::now() - killed_at > std::chrono::seconds(1)) break;
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Steady::now()).count();
    if (left <= 0) {
      if (!killed) {
        result.timed_out = true;
        kill_group();
      }
      left = 100;  // the group is dead: drain what is left of the pipes
    }
    // Wake at least every 100 ms to notice cancel().
    int n = ::poll(fds, 2, static_cast<int>(std::min<long long>(left, 100)));
    if (n < 0) {
      if (errno == EINTR) continue;
      break;
    }
    if (cancelled_ && !killed) {
      result.cancelled = true;
      kill_group();
    }
    for (int i = 0; i < 2; ++i) {
      if (fds[i].fd < 0 || !(fds[i].revents & (POLLIN | POLLHUP | POLLERR))) continue;
      ssize_t got = ::read(fds[i].fd, buffer, sizeof buffer);
      if (got < 0 && errno == EINTR) continue;
      if (got <= 0) {
        fds[i].fd = -1;
        --open_fds;
        continue;
      }
      std::string& sink = i == 0 ? result.out : result.err;
      std::size_t cap = i == 0 ? spec.limits.max_stdout : spec.limits.max_stderr;
      std::size_t room = cap > sink.size() ? cap - sink.size() : 0;
      sink.append(buffer, std::min<std::size_t>(room, static_cast<std::size_t>(got)));
      if (i == 0 && static_cast<std::size_t>(got) > room && !killed) {
        result.stdout_overflow = true;
        kill_group();
      }
    }
  }
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  {
    std::lock_guard g(mu_);
    running_ = 0;
  }
  if (WIFEXITED(status)) result.exit_code = WEXITSTATUS(status);
  if (WIFSIGNALED(status)) result.signal = WTERMSIG(status);
  if (cancelled_ && killed && !result.timed_out && !result.stdout_overflow) result.cancelled = true;
  return result;
}

}  // namespace stackd::git

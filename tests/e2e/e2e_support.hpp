#pragma once
// Helpers for end-to-end tests: run the real stackd binary against the test
// engine, and look at the world with the docker CLI and plain HTTP (never
// through stackd's own client, so a bug there cannot hide itself).
#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <string>
#include <vector>

namespace stackd::e2e {

struct CommandResult {
  int exit_code = -1;
  std::string output;  // stdout and stderr together
};

// Runs a shell command with DOCKER_HOST pointing at the test engine.
CommandResult sh(const std::string& command);
// Runs build/stackd with arguments.
CommandResult run_stackd(const std::string& args, const std::string& extra_env = "");
// `docker inspect -f FORMAT NAME`, trimmed; "" when missing.
std::string inspect(const std::string& name, const std::string& format);
bool container_exists(const std::string& name);
bool volume_exists(const std::string& name);
// GET http://127.0.0.1:port/path, body ("" on failure).
std::string http_get(int port, const std::string& path);
// The value of one series in a Prometheus text exposition; -1 when absent.
double metric_value(const std::string& exposition, const std::string& series);
// Polls until pred() or timeout.
bool eventually(const std::function<bool()>& pred, std::chrono::milliseconds timeout = std::chrono::seconds(30));

std::string source_dir();

// `stackd ARGS` as a child process of the test (so its exit status can be
// read), with the test engine's DOCKER_HOST and state directory, output to
// `log_path`. Killed with SIGKILL when destroyed and still running.
class StackdProcess {
 public:
  StackdProcess(const std::string& args, std::string log_path);
  ~StackdProcess();
  StackdProcess(const StackdProcess&) = delete;
  StackdProcess& operator=(const StackdProcess&) = delete;
  int pid() const { return pid_; }
  bool running();
  std::string log() const;
  // Sends `signal` and waits up to `timeout` for the exit. Returns the exit
  // status (WEXITSTATUS; 128+n when killed by signal n), or -1 on timeout.
  int stop(int signal, std::chrono::milliseconds timeout, double* seconds = nullptr);

 private:
  int pid_ = -1;
  int status_ = -1;
  std::string log_path_;
};

// Any other program (the fake Ollama, a receiver) in the background, output
// to `log_path`; SIGTERM (then SIGKILL after 5 s) on stop() or when destroyed.
class BackgroundProcess {
 public:
  BackgroundProcess(const std::string& command, const std::string& log_path);
  ~BackgroundProcess() { stop(); }
  void stop();
  BackgroundProcess(const BackgroundProcess&) = delete;
  BackgroundProcess& operator=(const BackgroundProcess&) = delete;

 private:
  int pid_ = -1;
};

// A temporary directory holding a manifest and its files; `down --volumes`
// of the stack when the test ends, so tests do not leak into each other.
class StackDir {
 public:
  explicit StackDir(std::string stack);
  ~StackDir();
  std::string write(const std::string& rel, const std::string& content) const;
  std::string manifest() const { return (path_ / "stack.yaml").string(); }
  const std::string& stack() const { return stack_; }

 private:
  std::string stack_;
  std::filesystem::path path_;
};

}  // namespace stackd::e2e

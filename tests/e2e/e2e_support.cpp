#include "tests/e2e/e2e_support.hpp"

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <thread>

namespace stackd::e2e {

namespace fs = std::filesystem;

namespace {
std::string env_or(const char* name, const std::string& fallback) {
  const char* v = std::getenv(name);
  return v && *v ? v : fallback;
}
std::string trim(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ' || s.back() == '\r')) s.pop_back();
  return s;
}
}  // namespace

std::string source_dir() { return env_or("STACKD_SOURCE_DIR", STACKD_E2E_SOURCE_DIR); }

CommandResult sh(const std::string& command) {
  CommandResult r;
  // STACKD_TEST_DOCKER_HOST (an engine the caller gave) wins over the fixture's.
  auto docker_host = env_or("STACKD_TEST_DOCKER_HOST", STACKD_E2E_DOCKER_HOST);
  auto state_dir = env_or("STACKD_STATE_DIR", STACKD_E2E_STATE_DIR);
  std::string full = "( export DOCKER_HOST='" + docker_host + "' STACKD_STATE_DIR='" + state_dir + "'; " + command +
                     " ) 2>&1";
  FILE* p = ::popen(full.c_str(), "r");
  if (!p) return r;
  std::array<char, 4096> buf{};
  std::size_t n;
  while ((n = std::fread(buf.data(), 1, buf.size(), p)) > 0) r.output.append(buf.data(), n);
  int status = ::pclose(p);
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return r;
}

CommandResult run_stackd(const std::string& args, const std::string& extra_env) {
  auto bin = env_or("STACKD_BIN", STACKD_E2E_BIN);
  return sh(extra_env + " " + bin + " " + args);
}

std::string inspect(const std::string& name, const std::string& format) {
  auto r = sh("docker inspect -f '" + format + "' " + name);
  return r.exit_code == 0 ? trim(r.output) : "";
}

bool container_exists(const std::string& name) {
  return sh("docker container inspect " + name + " >/dev/null").exit_code == 0;
}

bool volume_exists(const std::string& name) { return sh("docker volume inspect " + name + " >/dev/null").exit_code == 0; }

std::string http_get(int port, const std::string& path) {
  auto r = sh("curl -sf --max-time 5 'http://127.0.0.1:" + std::to_string(port) + path + "'");
  return r.exit_code == 0 ? r.output : "";
}

double metric_value(const std::string& exposition, const std::string& series) {
  auto at = exposition.find("\n" + series + " ");
  if (at == std::string::npos) return -1;
  return std::stod(exposition.substr(at + series.size() + 2));
}

bool eventually(const std::function<bool()>& pred, std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (pred()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  return pred();
}

StackDir::StackDir(std::string stack)
    : stack_(std::move(stack)), path_(fs::temp_directory_path() / ("stackd-e2e-" + stack_)) {
  fs::remove_all(path_);
  fs::create_directories(path_);
}

StackDir::~StackDir() {
  if (fs::exists(manifest())) run_stackd("down --volumes -f " + manifest());
  // A stack whose manifest was broken on purpose: remove by label.
  sh("docker rm -f $(docker ps -aq --filter label=dev.stackd.stack=" + stack_ + ") >/dev/null 2>&1");
  sh("docker volume rm $(docker volume ls -q --filter label=dev.stackd.stack=" + stack_ + ") >/dev/null 2>&1");
  fs::remove_all(path_);
}

std::string StackDir::write(const std::string& rel, const std::string& content) const {
  auto p = path_ / rel;
  fs::create_directories(p.parent_path());
  std::ofstream(p) << content;
  return p.string();
}

}  // namespace stackd::e2e

namespace stackd::e2e {

StackdProcess::StackdProcess(const std::string& args, std::string log_path) : log_path_(std::move(log_path)) {
  auto docker_host = env_or("STACKD_TEST_DOCKER_HOST", STACKD_E2E_DOCKER_HOST);
  auto state_dir = env_or("STACKD_STATE_DIR", STACKD_E2E_STATE_DIR);
  auto bin = env_or("STACKD_BIN", STACKD_E2E_BIN);
  std::string command = "export DOCKER_HOST='" + docker_host + "' STACKD_STATE_DIR='" + state_dir + "'; exec " + bin +
                        " " + args + " >'" + log_path_ + "' 2>&1";
  pid_ = ::fork();
  if (pid_ == 0) {
    ::execl("/bin/sh", "sh", "-c", command.c_str(), static_cast<char*>(nullptr));
    ::_exit(127);
  }
}

StackdProcess::~StackdProcess() {
  if (running()) {
    ::kill(pid_, SIGKILL);
    ::waitpid(pid_, &status_, 0);
  }
}

bool StackdProcess::running() {
  if (pid_ <= 0 || status_ != -1) return false;
  int st = 0;
  if (::waitpid(pid_, &st, WNOHANG) == pid_) {
    status_ = st;
    return false;
  }
  return true;
}

std::string StackdProcess::log() const {
  std::ifstream in(log_path_);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

int StackdProcess::stop(int signal, std::chrono::milliseconds timeout, double* seconds) {
  auto t0 = std::chrono::steady_clock::now();
  if (running()) ::kill(pid_, signal);
  if (!eventually([&] { return !running(); }, timeout)) return -1;
  if (seconds) *seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  if (WIFEXITED(status_)) return WEXITSTATUS(status_);
  if (WIFSIGNALED(status_)) return 128 + WTERMSIG(status_);
  return -1;
}

BackgroundProcess::BackgroundProcess(const std::string& command, const std::string& log_path) {
  pid_ = std::stoi(sh("nohup " + command + " >'" + log_path + "' 2>&1 & echo $!").output);
}

void BackgroundProcess::stop() {
  if (pid_ <= 0) return;
  ::kill(pid_, SIGTERM);
  sh("for i in $(seq 50); do kill -0 " + std::to_string(pid_) + " 2>/dev/null || exit 0; sleep 0.1; done; kill -9 " +
     std::to_string(pid_));
  pid_ = -1;
}

}  // namespace stackd::e2e

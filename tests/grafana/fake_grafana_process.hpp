#pragma once
// Runs the Grafana fake as a real process on 127.0.0.1 (a free port), the way
// Grafana runs: configured by GF_* environment, password from a __FILE.
// Used by the integration tests and the benchmark. Fails loudly, never skips.
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <string>
#include <vector>

extern char** environ;

namespace stackd::testing {

class FakeGrafanaProcess {
 public:
  FakeGrafanaProcess(const std::string& binary, const std::filesystem::path& dir, const std::string& password,
                     std::vector<std::string> extra_env = {}) {
    std::filesystem::create_directories(dir);
    auto pw_file = dir / "admin-password";
    std::ofstream(pw_file) << password << "\n";
    std::vector<std::string> env = {"GF_SERVER_HTTP_ADDR=127.0.0.1", "GF_SERVER_HTTP_PORT=0",
                                    "GF_SECURITY_ADMIN_USER=admin",
                                    "GF_SECURITY_ADMIN_PASSWORD__FILE=" + pw_file.string(),
                                    "GF_PATHS_DATA=" + (dir / "data").string()};
    for (auto& e : extra_env) env.push_back(std::move(e));
    std::vector<char*> envp;
    for (auto& e : env) envp.push_back(e.data());
    envp.push_back(nullptr);
    int fds[2];
    if (::pipe(fds) != 0) throw std::runtime_error("pipe failed");
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, fds[1], 1);
    posix_spawn_file_actions_addclose(&fa, fds[0]);
    std::string bin = binary;
    char* argv[] = {bin.data(), nullptr};
    if (posix_spawn(&pid_, bin.c_str(), &fa, nullptr, argv, envp.data()) != 0)
      throw std::runtime_error("cannot start the Grafana fake " + binary);
    posix_spawn_file_actions_destroy(&fa);
    ::close(fds[1]);
    // First line: "listening on 127.0.0.1:PORT".
    std::string line;
    char c;
    while (line.size() < 200 && ::read(fds[0], &c, 1) == 1 && c != '\n') line.push_back(c);
    ::close(fds[0]);
    auto colon = line.rfind(':');
    if (line.rfind("listening on ", 0) != 0 || colon == std::string::npos) {
      stop();  // never leave it running (or holding our pipes) behind a failed start
      throw std::runtime_error("the Grafana fake did not start: '" + line + "'");
    }
    port_ = std::stoi(line.substr(colon + 1));
  }
  ~FakeGrafanaProcess() { stop(); }
  FakeGrafanaProcess(const FakeGrafanaProcess&) = delete;
  FakeGrafanaProcess& operator=(const FakeGrafanaProcess&) = delete;

  void stop() {
    if (pid_ <= 0) return;
    ::kill(pid_, SIGTERM);
    int status = 0;
    ::waitpid(pid_, &status, 0);
    exit_status_ = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    pid_ = -1;
  }
  int exit_status() const { return exit_status_; }
  pid_t pid() const { return pid_; }
  int port() const { return port_; }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }

 private:
  pid_t pid_ = -1;
  int port_ = 0;
  int exit_status_ = -1;
};

}  // namespace stackd::testing

#include "reconcilers/prometheus/local_promtool.hpp"

#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "reconcilers/prometheus/prometheus_config.hpp"

namespace stackd::prometheus {
namespace {

namespace fs = std::filesystem;
constexpr std::size_t kMaxOutput = 64 * 1024;

struct TempDir {
  fs::path path;
  TempDir() {
    std::string tmpl = (fs::temp_directory_path() / "stackd-promtool-XXXXXX").string();
    if (!::mkdtemp(tmpl.data())) throw std::runtime_error("cannot create a temp dir for promtool");
    path = tmpl;
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path, ec);
  }
};

// Runs argv without a shell; returns (exit code, stdout+stderr bounded).
std::pair<int, std::string> run(const std::vector<std::string>& argv) {
  int fds[2];
  if (::pipe(fds) != 0) throw std::runtime_error("pipe failed");
  pid_t pid = ::fork();
  if (pid < 0) throw std::runtime_error("fork failed");
  if (pid == 0) {
    ::dup2(fds[1], 1);
    ::dup2(fds[1], 2);
    ::close(fds[0]);
    ::close(fds[1]);
    std::vector<char*> args;
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    ::execv(args[0], args.data());
    _exit(127);
  }
  ::close(fds[1]);
  std::string out;
  char buf[4096];
  ssize_t n;
  while ((n = ::read(fds[0], buf, sizeof buf)) > 0) {
    if (out.size() < kMaxOutput) out.append(buf, static_cast<std::size_t>(n));
  }
  ::close(fds[0]);
  int status = 0;
  ::waitpid(pid, &status, 0);
  if (out.size() > kMaxOutput) out.resize(kMaxOutput);
  return {WIFEXITED(status) ? WEXITSTATUS(status) : 128, out};
}

}  // namespace

std::optional<std::string> find_promtool() {
  const char* path = std::getenv("PATH");
  std::string dirs = path ? path : "/usr/local/bin:/usr/bin:/bin";
  std::size_t start = 0;
  while (start <= dirs.size()) {
    std::size_t end = dirs.find(':', start);
    if (end == std::string::npos) end = dirs.size();
    fs::path candidate = fs::path(dirs.substr(start, end - start)) / "promtool";
    if (!candidate.parent_path().empty() && ::access(candidate.c_str(), X_OK) == 0) return candidate.string();
    start = end + 1;
  }
  return std::nullopt;
}

std::optional<std::string> check_with_local_promtool(const std::vector<TarFile>& files) {
  auto promtool = find_promtool();
  if (!promtool) {
    throw PromtoolMissing(
        "promtool not found on PATH: Prometheus rules and config were NOT checked with promtool "
        "(install it, e.g. Debian package 'prometheus', or run stackd validate where promtool is available)");
  }
  TempDir dir;
  for (const auto& f : files) {
    fs::path rel(f.path);
    if (rel.is_absolute() || f.path.find("..") != std::string::npos)
      throw std::invalid_argument("refusing to write " + f.path + " outside the temp dir");
    fs::path target = dir.path / rel;
    fs::create_directories(target.parent_path());
    std::ofstream(target, std::ios::binary) << f.content;
  }
  const std::string config = (dir.path / std::string(kConfigFile).substr(1)).string();
  auto [code, output] = run({*promtool, "check", "config", config});
  if (code == 0) return std::nullopt;
  // Name files as the user knows them, not by our temp dir.
  for (std::size_t p; (p = output.find(dir.path.string())) != std::string::npos;)
    output.erase(p, dir.path.string().size());
  return "promtool check config (exit " + std::to_string(code) + "): " + output;
}

}  // namespace stackd::prometheus

#include "reconcilers/live_config/local_checker.hpp"

#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <stdexcept>

namespace stackd::live_config {
namespace {

namespace fs = std::filesystem;
constexpr std::size_t kMaxOutput = 64 * 1024;

struct TempDir {
  fs::path path;
  TempDir() {
    std::string tmpl = (fs::temp_directory_path() / "stackd-check-XXXXXX").string();
    if (!::mkdtemp(tmpl.data())) throw std::runtime_error("cannot create a temp dir for a config check");
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

std::optional<std::string> find_on_path(const std::string& program) {
  const char* path = std::getenv("PATH");
  std::string dirs = path ? path : "/usr/local/bin:/usr/bin:/bin";
  std::size_t start = 0;
  while (start <= dirs.size()) {
    std::size_t end = dirs.find(':', start);
    if (end == std::string::npos) end = dirs.size();
    fs::path candidate = fs::path(dirs.substr(start, end - start)) / program;
    if (!candidate.parent_path().empty() && ::access(candidate.c_str(), X_OK) == 0) return candidate.string();
    start = end + 1;
  }
  return std::nullopt;
}

CheckerRun run_local_checker(const std::vector<TarFile>& files, std::vector<std::string> argv) {
  TempDir dir;
  for (const auto& f : files) {
    fs::path rel(f.path);
    if (rel.is_absolute() || f.path.find("..") != std::string::npos)
      throw std::invalid_argument("refusing to write " + f.path + " outside the temp dir");
    fs::path target = dir.path / rel;
    fs::create_directories(target.parent_path());
    std::ofstream(target, std::ios::binary) << f.content;
  }
  for (auto& a : argv)
    if (a.starts_with("{}")) a = dir.path.string() + a.substr(2);
  auto [code, output] = run(argv);
  // Name files as the container would, not by the temp dir.
  for (std::size_t p; (p = output.find(dir.path.string())) != std::string::npos;)
    output.erase(p, dir.path.string().size());
  return CheckerRun{code, output};
}

std::optional<std::string> check_with_local_checker(const ReloadPolicy& policy, const std::vector<TarFile>& files) {
  // The container's argv for files in place, with the program found here.
  auto argv = policy.check_command("{}" + policy.live_dir);
  const auto program = fs::path(argv.at(0)).filename().string();
  auto found = find_on_path(program);
  if (!found) throw CheckerMissing(program + " not found on PATH");
  argv[0] = *found;
  auto run = run_local_checker(files, std::move(argv));
  if (run.exit_code == 0) return std::nullopt;
  if (run.output.empty()) run.output = policy.checker + " exited with " + std::to_string(run.exit_code) + "\n";
  return run.output;
}

}  // namespace stackd::live_config

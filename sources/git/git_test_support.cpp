#include "sources/git/git_test_support.hpp"

#include <unistd.h>

#include <fstream>
#include <stdexcept>

#include "sources/git/git_process.hpp"

namespace stackd::git::testing {
namespace fs = std::filesystem;

ScratchDir::ScratchDir(const std::string& name) {
  static int counter = 0;
  path_ = fs::temp_directory_path() / ("stackd-" + name + "-" + std::to_string(::getpid()) + "-" + std::to_string(counter++));
  fs::remove_all(path_);
  fs::create_directories(path_);
}

ScratchDir::~ScratchDir() {
  std::error_code ec;
  fs::remove_all(path_, ec);
}

std::string run(const std::vector<std::string>& argv, const fs::path& cwd) {
  ProcessRunner runner;
  ProcessSpec spec;
  spec.argv = argv;
  const char* path = std::getenv("PATH");
  spec.env = {std::string("PATH=") + (path ? path : "/usr/bin:/bin"), "HOME=/nonexistent", "GIT_CONFIG_NOSYSTEM=1",
              "GIT_CONFIG_GLOBAL=/dev/null", "GIT_AUTHOR_NAME=test", "GIT_AUTHOR_EMAIL=test@example.com",
              "GIT_COMMITTER_NAME=test", "GIT_COMMITTER_EMAIL=test@example.com", "LC_ALL=C"};
  spec.cwd = cwd;
  spec.limits.timeout = std::chrono::seconds(60);
  spec.limits.max_stdout = 16 * 1024 * 1024;
  auto r = runner.run(spec);
  if (!r.ok()) {
    std::string joined;
    for (const auto& a : argv) joined += a + " ";
    throw std::runtime_error(joined + "failed (" + r.describe() + "): " + r.err);
  }
  return r.out;
}

Remote::Remote(const fs::path& root) : bare_(root / "remote.git"), work_(root / "work") {
  run({"git", "init", "--quiet", "--bare", "--initial-branch=main", bare_.string()});
  run({"git", "init", "--quiet", "--initial-branch=main", work_.string()});
  run({"git", "remote", "add", "origin", bare_.string()}, work_);
}

std::string Remote::commit(const std::map<std::string, std::string>& files, const std::string& message,
                           const std::string& branch) {
  for (const auto& [name, content] : files) {
    fs::create_directories((work_ / name).parent_path());
    std::ofstream(work_ / name, std::ios::trunc) << content;
  }
  run({"git", "add", "--all"}, work_);
  run({"git", "commit", "--quiet", "--allow-empty", "-m", message}, work_);
  auto sha = run({"git", "rev-parse", "HEAD"}, work_);
  sha.erase(sha.find_last_not_of("\n") + 1);
  run({"git", "push", "--quiet", "--force", "origin", "HEAD:refs/heads/" + branch}, work_);
  return sha;
}

void Remote::force_push(const std::string& commit, const std::string& branch) {
  run({"git", "push", "--quiet", "--force", "origin", commit + ":refs/heads/" + branch}, work_);
}

void Remote::tag(const std::string& name, const std::string& commit) {
  run({"git", "tag", "-a", "-m", name, name, commit}, work_);
  run({"git", "push", "--quiet", "origin", "refs/tags/" + name}, work_);
}

}  // namespace stackd::git::testing

#pragma once
// For tests only: a scratch directory, a bare "remote" repository and a work
// tree that commits and pushes to it, all with the real git CLI.
#include <filesystem>
#include <map>
#include <string>
#include <vector>

namespace stackd::git::testing {

// A fresh directory under /tmp, removed by the destructor.
class ScratchDir {
 public:
  explicit ScratchDir(const std::string& name);
  ~ScratchDir();
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

// Runs git (or any command) and returns stdout; throws with stderr on failure.
std::string run(const std::vector<std::string>& argv, const std::filesystem::path& cwd = {});

class Remote {
 public:
  // <root>/remote.git (bare, default branch main) and <root>/work.
  explicit Remote(const std::filesystem::path& root);
  const std::filesystem::path& bare() const { return bare_; }
  std::string file_url() const { return "file://" + bare_.string(); }
  // Writes the files, commits, pushes `branch`, returns the commit.
  std::string commit(const std::map<std::string, std::string>& files, const std::string& message,
                     const std::string& branch = "main");
  // Points `branch` on the remote at `commit` (a force-push).
  void force_push(const std::string& commit, const std::string& branch = "main");
  void tag(const std::string& name, const std::string& commit);

 private:
  std::filesystem::path bare_, work_;
};

}  // namespace stackd::git::testing

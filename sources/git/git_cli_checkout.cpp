#include "sources/git/git_cli_checkout.hpp"

#include <cstdlib>

#include "sources/git/git_snapshot_loader.hpp"

namespace stackd::git {
namespace fs = std::filesystem;

CliCheckout::CliCheckout(const GitSettings& settings) {
  std::string pattern = (fs::temp_directory_path() / "stackd-git-XXXXXX").string();
  if (!::mkdtemp(pattern.data())) throw std::runtime_error("cannot create a temporary directory");
  temp_ = pattern;
  try {
    auto resolved = resolve_git_settings(settings, temp_);
    display_url_ = resolved.repository.remote.display;
    GitRepository repo(resolved.repository);
    auto commit = repo.fetch().commit;
    revision_ = resolved.repository.ref + "@sha1:" + commit;
    commit_dir_ = repo.checkout(commit);
    manifest_ = commit_dir_ / resolved.path;
    if (!fs::is_regular_file(manifest_))
      throw std::invalid_argument("commit " + revision_ + ": " + resolved.path + ": no such file in the repository");
  } catch (...) {
    std::error_code ec;
    fs::remove_all(temp_, ec);
    throw;
  }
}

CliCheckout::~CliCheckout() {
  std::error_code ec;
  fs::remove_all(temp_, ec);
}

std::string CliCheckout::relative(const std::string& message) const { return relative_to_commit(message, commit_dir_); }

}  // namespace stackd::git

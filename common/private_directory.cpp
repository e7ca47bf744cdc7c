#include "common/private_directory.hpp"

#include <sys/stat.h>

#include <cerrno>
#include <cstring>

namespace stackd {

StateDirectoryError::StateDirectoryError(const std::filesystem::path& path, const std::string& reason)
    : std::runtime_error("cannot write the state directory: " + path.string() + ": " + reason +
                         ". stackd keeps a generated Grafana admin password there until Grafana holds it: make "
                         "it writable for this user, or name another with --state-dir DIR or STACKD_STATE_DIR") {}

void create_private_directories(const std::filesystem::path& dir) {
  namespace fs = std::filesystem;
  if (dir.empty()) return;
  // Parents created here are private too; existing parents are left alone
  // (they are the user's, e.g. ~/.local/state).
  fs::path parent = dir.parent_path();
  std::error_code ec;
  if (!parent.empty() && parent != dir && !fs::exists(parent, ec)) create_private_directories(parent);
  if (::mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST)
    throw StateDirectoryError(dir, std::string("cannot create it: ") + std::strerror(errno));
  // mkdir's mode is masked by the umask, and an old directory may be 0755.
  std::error_code perms;
  fs::permissions(dir, fs::perms::owner_all, fs::perm_options::replace, perms);
  if (perms) throw StateDirectoryError(dir, "cannot make it private: " + perms.message());
}

}  // namespace stackd

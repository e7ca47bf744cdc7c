#include "common/private_directory.hpp"

#include <sys/stat.h>

#include <cerrno>

namespace stackd {

void create_private_directories(const std::filesystem::path& dir) {
  namespace fs = std::filesystem;
  if (dir.empty()) return;
  // Parents created here are private too; existing parents are left alone
  // (they are the user's, e.g. ~/.local/state).
  fs::path parent = dir.parent_path();
  std::error_code ec;
  if (!parent.empty() && parent != dir && !fs::exists(parent, ec)) create_private_directories(parent);
  if (::mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST)
    throw fs::filesystem_error("cannot create directory", dir, std::error_code(errno, std::generic_category()));
  // mkdir's mode is masked by the umask, and an old directory may be 0755.
  fs::permissions(dir, fs::perms::owner_all, fs::perm_options::replace);
}

}  // namespace stackd

#include "common/private_directory.hpp"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

namespace fs = std::filesystem;

namespace {
unsigned mode_of(const fs::path& p) {
  struct stat st {};
  EXPECT_EQ(::stat(p.c_str(), &st), 0);
  return st.st_mode & 07777;
}
}  // namespace

TEST(PrivateDirectory, CreatesMissingDirectoriesOwnerOnly) {
  auto root = fs::temp_directory_path() / ("stackd-private-" + std::to_string(::getpid()));
  fs::remove_all(root);
  fs::create_directories(root);
  auto old_mask = ::umask(022);
  stackd::create_private_directories(root / "a" / "b");
  ::umask(old_mask);
  EXPECT_EQ(mode_of(root / "a"), 0700u);
  EXPECT_EQ(mode_of(root / "a" / "b"), 0700u);
  fs::remove_all(root);
}

TEST(PrivateDirectory, NarrowsAnExistingWideDirectory) {
  auto dir = fs::temp_directory_path() / ("stackd-private-wide-" + std::to_string(::getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir);
  fs::permissions(dir, fs::perms::all, fs::perm_options::replace);
  stackd::create_private_directories(dir);
  EXPECT_EQ(mode_of(dir), 0700u);
  fs::remove_all(dir);
}

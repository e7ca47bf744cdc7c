#include "reconcilers/grafana/admin_password.hpp"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <fstream>

using namespace stackd::grafana;
namespace fs = std::filesystem;

namespace {
fs::path temp(const std::string& name) {
  auto p = fs::temp_directory_path() / ("stackd-pw-" + std::to_string(::getpid()) + "-" + name);
  fs::remove_all(p);
  return p;
}
}  // namespace

TEST(AdminPassword, FromFileDropsTrailingNewline) {
  auto dir = temp("file");
  fs::create_directories(dir);
  std::ofstream(dir / "pw") << "s3cret\n";
  EXPECT_EQ(resolve_admin_password(dir / "pw", "", ""), "s3cret");
  std::ofstream(dir / "empty") << "\n";
  EXPECT_THROW(resolve_admin_password(dir / "empty", "", ""), std::runtime_error);
  fs::remove_all(dir);
}

TEST(AdminPassword, FromEnvAndMissingEnvNamesTheVariableNotTheValue) {
  ::setenv("STACKD_TEST_GF_PW", "from-env", 1);
  EXPECT_EQ(resolve_admin_password("", "STACKD_TEST_GF_PW", ""), "from-env");
  try {
    resolve_admin_password("", "STACKD_TEST_GF_PW_UNSET", "");
    FAIL();
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("STACKD_TEST_GF_PW_UNSET"), std::string::npos);
  }
}

TEST(AdminPassword, GeneratedOnceKeptWithMode0600) {
  auto dir = temp("gen");
  std::string first = resolve_admin_password("", "", dir);
  EXPECT_EQ(first.size(), 32u);
  struct stat st {};
  ASSERT_EQ(::stat((dir / kGeneratedPasswordFile).c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  EXPECT_EQ(resolve_admin_password("", "", dir), first);
  EXPECT_NE(generate_password(), generate_password());
  fs::remove_all(dir);
}

#include "reconcilers/grafana/dashboard_loader.hpp"

#include <gtest/gtest.h>

#include <fstream>

using namespace stackd::grafana;
namespace fs = std::filesystem;

namespace {
struct TempDir {
  fs::path path = fs::temp_directory_path() / ("stackd-dl-" + std::to_string(::getpid()) + "-" +
                                               ::testing::UnitTest::GetInstance()->current_test_info()->name());
  TempDir() { fs::create_directories(path / "dash"); }
  ~TempDir() { fs::remove_all(path); }
  void write(const std::string& rel, const std::string& text) { std::ofstream(path / rel) << text; }
};
bool has_error(const LoadedDashboards& l, const std::string& needle) {
  for (const auto& e : l.errors)
    if (e.find(needle) != std::string::npos) return true;
  return false;
}
}  // namespace

TEST(DashboardLoader, LoadsGoodFilesAndNamesEveryBadOne) {
  TempDir d;
  d.write("dash/a.json", R"({"uid":"a","title":"A"})");
  d.write("dash/b.json", R"({"uid":"b","title":"B",)");
  d.write("dash/c.json", R"({"title":"C"})");
  d.write("dash/d.json", R"({"uid":"a","title":"D"})");
  d.write("dash/e.json", R"({"dashboard":{"uid":"e","title":"E"},"meta":{}})");
  d.write("dash/f.json", R"({"uid":"bad uid!","title":"F"})");
  auto l = load_dashboards(d.path, {{"dash/*.json", "Frontier LLM"}, {"missing/*.json", ""}});
  ASSERT_EQ(l.dashboards.size(), 2u);
  EXPECT_EQ(l.dashboards[0].model["uid"], "a");
  EXPECT_EQ(l.dashboards[0].folder_title, "Frontier LLM");
  EXPECT_EQ(l.dashboards[1].model["uid"], "e");
  EXPECT_TRUE(has_error(l, "b.json: invalid JSON"));
  EXPECT_TRUE(has_error(l, "c.json: has no \"uid\""));
  EXPECT_TRUE(has_error(l, "d.json: uid \"a\" is already used by"));
  EXPECT_TRUE(has_error(l, "f.json: uid \"bad uid!\" is invalid"));
  EXPECT_TRUE(has_error(l, "missing/*.json matches no file"));
}

TEST(DashboardLoader, BoundsFileSize) {
  TempDir d;
  d.write("dash/big.json", R"({"uid":"big","title":")" + std::string(2000, 'x') + "\"}");
  LoadLimits lim;
  lim.max_file_bytes = 1000;
  auto l = load_dashboards(d.path, {{"dash/big.json", ""}}, lim);
  EXPECT_TRUE(l.dashboards.empty());
  EXPECT_TRUE(has_error(l, "over the limit of 1000"));
}

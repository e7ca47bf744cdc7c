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
  EXPECT_TRUE(has_error(l, "b.json:1:24: dashboard: invalid JSON"));
  EXPECT_TRUE(has_error(l, "c.json:1:1: dashboard has no \"uid\""));
  EXPECT_TRUE(has_error(l, "d.json:1:1: dashboard uid \"a\" is already used by"));
  EXPECT_TRUE(has_error(l, "f.json:1:1: dashboard uid \"bad uid!\" is invalid"));
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

TEST(DashboardLoader, FromTheManifestsLoadedFilesWithoutTouchingDisk) {
  using stackd::manifest::DashboardSource;
  using stackd::manifest::FileRef;
  std::vector<DashboardSource> sources = {
      {"dash/*.json", "Frontier LLM", {FileRef{"/m/dash/a.json", "dash/a.json", R"({"uid":"a","title":"A"})"},
                                       FileRef{"/m/dash/b.json", "dash/b.json", R"({"uid":"a","title":"B"})"}}},
      {"more/*.json", "", {FileRef{"/m/more/deep.json", "more/deep.json", std::string(1000, '[')}}},
  };
  auto l = load_dashboards(sources);
  ASSERT_EQ(l.dashboards.size(), 1u);
  EXPECT_EQ(l.dashboards[0].model["title"], "A");
  EXPECT_EQ(l.dashboards[0].folder_title, "Frontier LLM");
  EXPECT_TRUE(has_error(l, "/m/dash/b.json:1:1: dashboard uid \"a\" is already used by /m/dash/a.json"));
  EXPECT_TRUE(has_error(l, "/m/more/deep.json:1:65: dashboard: JSON nested deeper than 64 levels"));
}

#include "reconcilers/grafana/dashboard_loader.hpp"

#include <gtest/gtest.h>

using namespace stackd::grafana;

namespace {
bool has_error(const LoadedDashboards& l, const std::string& needle) {
  for (const auto& e : l.errors)
    if (e.find(needle) != std::string::npos) return true;
  return false;
}
}  // namespace

TEST(DashboardLoader, LoadsGoodFilesAndNamesEveryBadOne) {
  auto l = parse_dashboards({
      {"dash/a.json", R"({"uid":"a","title":"A"})", "Frontier LLM"},
      {"dash/b.json", R"({"uid":"b","title":"B",)", "Frontier LLM"},
      {"dash/c.json", R"({"title":"C"})", "Frontier LLM"},
      {"dash/d.json", R"({"uid":"a","title":"D"})", "Frontier LLM"},
      {"dash/e.json", R"({"dashboard":{"uid":"e","title":"E"},"meta":{}})", "Frontier LLM"},
      {"dash/f.json", R"({"uid":"bad uid!","title":"F"})", "Frontier LLM"},
  });
  ASSERT_EQ(l.dashboards.size(), 2u);
  EXPECT_EQ(l.dashboards[0].model["uid"], "a");
  EXPECT_EQ(l.dashboards[0].folder_title, "Frontier LLM");
  EXPECT_EQ(l.dashboards[1].model["uid"], "e");
  EXPECT_TRUE(has_error(l, "b.json:1:24: dashboard: invalid JSON"));
  EXPECT_TRUE(has_error(l, "c.json:1:1: dashboard has no \"uid\""));
  EXPECT_TRUE(has_error(l, "d.json:1:1: dashboard uid \"a\" is already used by dash/a.json"));
  EXPECT_TRUE(has_error(l, "f.json:1:1: dashboard uid \"bad uid!\" is invalid"));
  EXPECT_FALSE(l.ok());
}

TEST(DashboardLoader, BoundsNestingDepth) {
  auto l = parse_dashboards({{"more/deep.json", std::string(70000, '['), ""},
                             {"more/ok.json", R"({"uid":"ok","title":"OK","panels":[]})", ""}});
  ASSERT_EQ(l.dashboards.size(), 1u);
  EXPECT_EQ(l.dashboards[0].model["title"], "OK");
  EXPECT_TRUE(has_error(l, "more/deep.json:1:65: dashboard: JSON nested deeper than 64 levels"));
}

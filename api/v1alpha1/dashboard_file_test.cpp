#include "api/v1alpha1/dashboard_file.hpp"

#include <gtest/gtest.h>

using namespace stackd::manifest;

namespace {
std::string errors_of(const std::string& content) {
  Diagnostics d;
  auto doc = read_dashboard(FileRef{"/m/d.json", "d.json", content}, d);
  EXPECT_EQ(doc.has_value(), d.empty());
  return d.to_string();
}
}  // namespace

TEST(DashboardFile, ReadsPlainAndApiExports) {
  Diagnostics d;
  auto doc = read_dashboard(FileRef{"/m/d.json", "d.json", R"({"uid":"u1","title":"T","panels":[]})"}, d);
  ASSERT_TRUE(doc) << d.to_string();
  EXPECT_EQ(doc->uid, "u1");
  doc = read_dashboard(FileRef{"/m/d.json", "d.json", R"({"dashboard":{"uid":"u2","title":"T"},"meta":{}})"}, d);
  ASSERT_TRUE(doc);
  EXPECT_EQ(doc->uid, "u2");
  EXPECT_EQ(doc->model["title"], "T");
}

// Named as the manifest names the file (relative to it), never by its absolute path.
TEST(DashboardFile, EveryProblemHasAPosition) {
  EXPECT_EQ(errors_of("{\n  \"uid\": \"x\",\n  oops\n}"),
            "d.json:3:3: an object key must be a string in double quotes\n"
            "    3 |   oops\n"
            "      |   ^\n");
  EXPECT_EQ(errors_of("[]"), "d.json:1:1: dashboard: the top level is not a JSON object\n");
  EXPECT_NE(errors_of(R"({"title":"T"})").find("d.json:1:1: dashboard has no \"uid\""), std::string::npos);
  EXPECT_NE(errors_of(R"({"uid":"a b","title":"T"})").find("is invalid"), std::string::npos);
  EXPECT_NE(errors_of(R"({"uid":"a"})").find("no \"title\""), std::string::npos);
  std::string deep = "{\"uid\":\"a\",\"title\":\"t\",\"x\":" + std::string(70000, '[') + std::string(70000, ']') + "}";
  EXPECT_NE(errors_of(deep).find("d.json:1:91: JSON nested deeper than 64 levels"), std::string::npos);
}

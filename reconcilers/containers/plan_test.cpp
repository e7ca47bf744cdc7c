#include <gtest/gtest.h>

#include "reconcilers/containers/plan.hpp"

using namespace stackd::containers;

TEST(Plan, ChangedPartsNamesWhatDiffers) {
  std::map<std::string, std::string> desired{{"image", "aaa"}, {"env", "bbb"}, {"file:/etc/x", "ccc"}};
  EXPECT_TRUE(changed_parts("env=bbb,file:/etc/x=ccc,image=aaa", desired).empty());
  auto c = changed_parts("env=bbb,file:/etc/x=old,image=zzz,file:/etc/y=1", desired);
  EXPECT_EQ(c, (std::vector<std::string>{"file:/etc/x", "image", "file:/etc/y (removed)"}));
}

TEST(Plan, TextAndJson) {
  Plan p;
  p.changes.push_back({Change::Recreate, "container", "demo-prometheus", "prometheus", "changed: image", "0123456789abcdef"});
  p.changes.push_back({Change::Unchanged, "container", "demo-grafana", "grafana", "", "x"});
  EXPECT_FALSE(p.converged());
  auto j = p.to_json();
  EXPECT_EQ(j["changes"][0]["action"], "recreate");
  EXPECT_EQ(j["changes"][0]["id"], "0123456789ab");
  EXPECT_NE(p.to_text().find("recreate  container demo-prometheus: changed: image"), std::string::npos) << p.to_text();
}

// A raw Alertmanager config judged structurally, as Alertmanager's loader
// would (what `stackd validate` does where no amtool is installed).
#include "desired/alertmanager/config_structure.hpp"
#include "desired/alertmanager/test_configs.hpp"

#include <gtest/gtest.h>

using namespace stackd::alertmanager;

namespace {

using stackd::alertmanager::test_configs::kMissingReceiver;
using stackd::alertmanager::test_configs::kValid;

std::string problems(const std::string& content) { return check_config_structure(content, "am.yml").to_string(); }

}  // namespace

TEST(AlertmanagerConfigStructure, AValidConfigHasNoProblem) { EXPECT_EQ(problems(kValid), ""); }

TEST(AlertmanagerConfigStructure, AMissingReceiverIsNamedWithItsPosition) {
  EXPECT_EQ(problems(kMissingReceiver), "am.yml:5:17: undefined receiver \"pager\" used in route\n");
}

TEST(AlertmanagerConfigStructure, WhatAlertmanagersLoaderRejects) {
  EXPECT_NE(problems("receivers: [{name: a}]\n").find("am.yml:1:1: no routes provided"), std::string::npos);
  EXPECT_NE(problems("route: {group_by: [x]}\nreceivers: [{name: a}]\n")
                .find("am.yml:1:8: root route must specify a default receiver"),
            std::string::npos)
      << problems("route: {group_by: [x]}\nreceivers: [{name: a}]\n");
  auto twice = problems("route: {receiver: a}\nreceivers:\n  - name: a\n  - name: a\n");
  EXPECT_NE(twice.find("am.yml:4:11: notification config name \"a\" is not unique"), std::string::npos) << twice;
  auto unnamed = problems("route: {receiver: a}\nreceivers:\n  - name: a\n  - webhook_configs: []\n");
  EXPECT_NE(unnamed.find("am.yml:4:5: missing name on receiver"), std::string::npos) << unnamed;
  auto matchers = problems("route: {receiver: a, matchers: ['x=\"1\"']}\nreceivers: [{name: a}]\n");
  EXPECT_NE(matchers.find("root route must not have any matchers"), std::string::npos) << matchers;
  auto interval = problems("route:\n  receiver: a\n  routes: [{receiver: a, mute_time_intervals: [weekend]}]\n"
                           "receivers: [{name: a}]\n");
  EXPECT_NE(interval.find("undefined time interval \"weekend\" used in route"), std::string::npos) << interval;
  EXPECT_NE(problems("route: {receiver: a\n").find("am.yml:"), std::string::npos) << "YAML errors with positions";
  EXPECT_NE(problems("- a\n").find("must be a mapping"), std::string::npos);
}

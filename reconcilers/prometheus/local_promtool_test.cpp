#include "reconcilers/prometheus/local_promtool.hpp"

#include <gtest/gtest.h>

#include <cstdlib>

#include "desired/prometheus/prometheus_config.hpp"

namespace stackd::prometheus {
namespace {

ConfigInput with_rule(const std::string& rule) {
  ConfigInput in;
  in.targets = {{"prometheus", "127.0.0.1:9090"}};
  in.extra_scrape_configs_yaml = "- job_name: extra\n  static_configs: [{targets: ['127.0.0.1:1'], labels: {a: \"true\"}}]\n";
  in.rule_files = {{"alerts.yml", rule}};
  return in;
}

const char* kGoodRule =
    "groups:\n- name: g\n  rules:\n  - alert: A\n    expr: up == 0\n    for: 1m\n    labels: {severity: warning}\n";

// The promtool of this machine is a test dependency (scripts/setup.sh
// installs Debian's prometheus package): fail, don't skip, without it.
TEST(LocalPromtool, RenderedFilesPassPromtool) {
  ASSERT_TRUE(find_promtool()) << "promtool must be on PATH for these tests";
  EXPECT_EQ(check_with_local_promtool(render_files(with_rule(kGoodRule))), std::nullopt);
}

TEST(LocalPromtool, InvalidRuleGivesPromtoolsMessageNamingTheFile) {
  auto message = check_with_local_promtool(render_files(with_rule("groups:\n- name: g\n  rules:\n  - alert: A\n    expr: up ==\n")));
  ASSERT_TRUE(message);
  EXPECT_NE(message->find("alerts.yml"), std::string::npos) << *message;
  EXPECT_NE(message->find("parse"), std::string::npos) << *message;
  EXPECT_EQ(message->find("stackd-promtool-"), std::string::npos) << "temp dir leaked: " << *message;
}

TEST(LocalPromtool, MissingPromtoolIsSaidClearly) {
  std::string saved = std::getenv("PATH") ? std::getenv("PATH") : "";
  ::setenv("PATH", "/nonexistent", 1);
  EXPECT_THROW(check_with_local_promtool(render_files(with_rule(kGoodRule))), PromtoolMissing);
  ::setenv("PATH", saved.c_str(), 1);
}

}  // namespace
}  // namespace stackd::prometheus

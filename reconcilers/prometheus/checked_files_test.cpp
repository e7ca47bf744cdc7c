// promtool (Debian's, a test dependency) rejects what stackd renders from a
// manifest; the message names the user's file and place.
#include "reconcilers/prometheus/checked_files.hpp"

#include <gtest/gtest.h>

#include "reconcilers/prometheus/local_promtool.hpp"
#include "desired/prometheus/prometheus_config.hpp"

namespace stackd::prometheus {
namespace {

const std::string kExtra =
    "# my own jobs\n"
    "- job_name: mine\n"
    "  static_configs:\n"
    "    - targets: ['127.0.0.1:1']\n"
    "- job_name: other\n"
    "  scrape_interval: 5mx\n"
    "  static_config:\n"
    "    - targets: ['127.0.0.1:2']\n";

manifest::Manifest manifest_with(const std::string& extra, const std::string& rule) {
  manifest::Manifest m;
  m.prometheus.extra_scrape_configs = manifest::FileRef{"/abs/prometheus/scrape-extra.yml", "prometheus/scrape-extra.yml", extra};
  m.prometheus.rules.push_back(manifest::FileRef{"/abs/prometheus/alerts.yml", "prometheus/alerts.yml", rule});
  return m;
}

std::vector<TarFile> rendered(const manifest::Manifest& m) {
  ConfigInput in;
  in.targets = {{"prometheus", "127.0.0.1:9090"}, {"stackd", "127.0.0.1:9321"}};
  in.extra_scrape_configs_yaml = m.prometheus.extra_scrape_configs->content;
  in.rule_files = {{"alerts.yml", m.prometheus.rules[0].content}};
  return render_files(in);
}

const char* kGoodRule = "groups:\n- name: g\n  rules:\n  - alert: A\n    expr: up == 0\n";

TEST(CheckedFiles, AGeneratedLineIsFoundInTheUsersScrapeConfigs) {
  auto m = manifest_with(kExtra, kGoodRule);
  auto files = rendered(m);
  const auto& yml = files.front().content;
  auto line_with = [&](const std::string& needle) {
    auto at = yml.find(needle);
    return 1 + static_cast<int>(std::count(yml.begin(), yml.begin() + static_cast<std::ptrdiff_t>(at), '\n'));
  };
  auto pos = user_scrape_position(yml, kExtra, line_with("static_config:"));
  ASSERT_TRUE(pos);
  EXPECT_EQ(pos->line, 7);
  EXPECT_EQ(pos->col, 3);
  pos = user_scrape_position(yml, kExtra, line_with("127.0.0.1:1"));
  ASSERT_TRUE(pos);
  EXPECT_EQ(pos->line, 4);
  // stackd's own job is not the user's.
  EXPECT_FALSE(user_scrape_position(yml, kExtra, line_with("127.0.0.1:9090")));
}

TEST(CheckedFiles, PromtoolsVerdictOnAScrapeConfigNamesTheUsersFile) {
  ASSERT_TRUE(find_promtool()) << "promtool must be on PATH for these tests";
  auto m = manifest_with("- job_name: other\n  static_config:\n    - targets: ['127.0.0.1:2']\n", kGoodRule);
  auto files = rendered(m);
  auto output = check_with_local_promtool(files);
  ASSERT_TRUE(output);
  EXPECT_EQ(live_config::checker_summary(*output, checked_files(m, files, "stack.yaml"), "stack.yaml"),
            "prometheus/scrape-extra.yml:2:3: unknown field 'static_config'")
      << *output;
  m = manifest_with("- job_name: other\n  scrape_interval: 5mx\n", kGoodRule);
  files = rendered(m);
  output = check_with_local_promtool(files);
  ASSERT_TRUE(output);
  EXPECT_EQ(live_config::checker_summary(*output, checked_files(m, files, "stack.yaml"), "stack.yaml"),
            "prometheus/scrape-extra.yml:2:20: not a valid duration string: \"5mx\"")
      << *output;
}

TEST(CheckedFiles, PromtoolsVerdictOnARuleNamesTheUsersFileAndPlace) {
  ASSERT_TRUE(find_promtool()) << "promtool must be on PATH for these tests";
  auto m = manifest_with("[]\n", "groups:\n- name: x\n  rules:\n  - alert: Bad\n    expr: sum(rate(x[5m]) by (\n");
  auto files = rendered(m);
  auto output = check_with_local_promtool(files);
  ASSERT_TRUE(output);
  auto summary = live_config::checker_summary(*output, checked_files(m, files, "stack.yaml"), "stack.yaml");
  EXPECT_EQ(summary.substr(0, summary.find("could not parse")),
            "prometheus/alerts.yml:5:11: group \"x\", rule 1, \"Bad\": ")
      << *output;
}

}  // namespace
}  // namespace stackd::prometheus

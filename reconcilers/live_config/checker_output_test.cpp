// promtool's and amtool's own words (captured from promtool 2.42 and amtool
// 0.25, Debian 12, on the files below), told in the user's files.
#include "reconcilers/live_config/checker_output.hpp"

#include <gtest/gtest.h>

using namespace stackd::live_config;

namespace {
const std::string kRules =
    "groups:\n"
    "  - name: x\n"
    "    rules:\n"
    "      - alert: Good\n"
    "        expr: up == 0\n"
    "      - alert: Bad\n"
    "        expr: up ==\n"
    "      - alert: Slow\n"
    "        expr: up\n"
    "        for: 5mx\n";
const std::vector<CheckedFile> kFiles = {
    {"/etc/prometheus/stackd/rules/alerts.yml", "prometheus/alerts.yml", kRules, {}},
    {"/etc/prometheus/stackd/rules/2-alerts.yml", "more/alerts.yml", kRules, {}},
};
std::string summary(const std::string& output) { return checker_summary(output, kFiles, "stack.yaml"); }
}  // namespace

TEST(CheckerOutput, AnExpressionErrorNamesTheUsersFileAndPosition) {
  const std::string out =
      "Checking /etc/prometheus/stackd/prometheus.yml\n"
      "  SUCCESS: 1 rule files found\n"
      " SUCCESS: /etc/prometheus/stackd/prometheus.yml is valid prometheus config file syntax\n\n"
      "Checking /etc/prometheus/stackd/rules/alerts.yml\n"
      "  FAILED:\n"
      "     /etc/prometheus/stackd/rules/alerts.yml: 7:15: group \"x\", rule 2, \"Bad\": could not parse expression: "
      "1:6: parse error: unexpected end of input\n";
  EXPECT_EQ(summary(out),
            "prometheus/alerts.yml:7:15: group \"x\", rule 2, \"Bad\": could not parse expression: 1:6: parse error: "
            "unexpected end of input");
}

TEST(CheckerOutput, TheLongestPathMatches) {
  EXPECT_EQ(summary("/etc/prometheus/stackd/rules/2-alerts.yml: 7:15: bad\n"), "more/alerts.yml:7:15: bad");
}

TEST(CheckerOutput, PositionsThePromtoolLeavesOutAreFoundInTheUsersFile) {
  // A value: where the file has it.
  EXPECT_EQ(summary("  FAILED:\n     /etc/prometheus/stackd/rules/alerts.yml: not a valid duration string: \"5mx\"\n"),
            "prometheus/alerts.yml:10:14: not a valid duration string: \"5mx\"");
  // A rule: where that rule of that group starts.
  EXPECT_EQ(summary("     /etc/prometheus/stackd/rules/alerts.yml: group \"x\", rule 1, \"Good\": annotation \"summary\": "
                    "template: __alert_Good:1: function \"foo\" not defined\n"),
            "prometheus/alerts.yml:4:9: group \"x\", rule 1, \"Good\": annotation \"summary\": template: "
            "__alert_Good:1: function \"foo\" not defined");
}

TEST(CheckerOutput, YamlErrorsAndUnknownFieldsKeepTheirLines) {
  EXPECT_EQ(summary("     /etc/prometheus/stackd/rules/alerts.yml: yaml: line 6: did not find expected ',' or '}'\n"
                    "     /etc/prometheus/stackd/rules/alerts.yml: yaml: line 6: did not find expected ',' or '}'\n"),
            "prometheus/alerts.yml:6:1: did not find expected ',' or '}'");
  EXPECT_EQ(summary("  FAILED:\n/etc/prometheus/stackd/rules/alerts.yml: yaml: unmarshal errors:\n"
                    "  line 10: field exp not found in type rulefmt.RuleNode\n"
                    "  line 12: field foo not found in type rulefmt.RuleNode\n"),
            "prometheus/alerts.yml:10:1: unknown field 'exp'\nprometheus/alerts.yml:12:1: unknown field 'foo'");
}

TEST(CheckerOutput, AmtoolsLineNamesTheConfigFile) {
  std::vector<CheckedFile> files = {
      {"/etc/alertmanager/stackd/alertmanager.yml", "alertmanager/alertmanager.yml",
       "route:\n  receiver: ops\n  group_wait: 30x\nreceivers:\n  - name: ops\n", {}}};
  EXPECT_EQ(checker_summary("Checking '/etc/alertmanager/stackd/alertmanager.yml'  FAILED: not a valid duration string: "
                            "\"30x\"\n\namtool: error: failed to validate 1 file(s)\n",
                            files, "stack.yaml"),
            "alertmanager/alertmanager.yml:3:15: not a valid duration string: \"30x\"");
  EXPECT_EQ(checker_summary("Checking '/etc/alertmanager/stackd/alertmanager.yml'  FAILED: yaml: unmarshal errors:\n"
                            "  line 7: field urlx not found in type config.plain\n",
                            files, "stack.yaml"),
            "alertmanager/alertmanager.yml:7:1: unknown field 'urlx'");
}

TEST(CheckerOutput, AGeneratedFileIsTranslatedOrBlamedOnTheManifest) {
  std::vector<CheckedFile> files = {{"/etc/prometheus/stackd/prometheus.yml", "prometheus/scrape-extra.yml",
                                     "- job_name: x\n  scrape_interval: 5mx\n",
                                     [](int line) -> std::optional<SourcePosition> {
                                       if (line >= 20) return SourcePosition{line - 19, 3};
                                       return std::nullopt;
                                     }}};
  EXPECT_EQ(checker_summary("  FAILED: parsing YAML file /etc/prometheus/stackd/prometheus.yml: yaml: unmarshal errors:\n"
                            "  line 21: field static_config not found in type config.ScrapeConfig\n",
                            files, "stack.yaml"),
            "prometheus/scrape-extra.yml:2:3: unknown field 'static_config'");
  EXPECT_EQ(checker_summary("  FAILED: parsing YAML file /etc/prometheus/stackd/prometheus.yml: not a valid duration "
                            "string: \"5mx\"\n",
                            files, "stack.yaml"),
            "prometheus/scrape-extra.yml:2:20: not a valid duration string: \"5mx\"");
  EXPECT_EQ(checker_summary("  FAILED: parsing YAML file /etc/prometheus/stackd/prometheus.yml: yaml: unmarshal errors:\n"
                            "  line 3: field x not found in type config.GlobalConfig\n",
                            files, "stack.yaml"),
            "stack.yaml:1:1: unknown field 'x'");
}

TEST(CheckerOutput, UnrecognisedOutputIsShownBounded) {
  EXPECT_EQ(summary("something\nelse\n"), "stack.yaml:1:1: something else");
  EXPECT_EQ(summary(""), "stack.yaml:1:1: rejected without a message");
}

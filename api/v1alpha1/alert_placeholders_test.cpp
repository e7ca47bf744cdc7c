#include "api/v1alpha1/alert_placeholders.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "api/v1alpha1/loader.hpp"

using namespace stackd::manifest;
namespace fs = std::filesystem;

namespace {

std::vector<AlertPlaceholder> all_of(std::string_view text) {
  std::vector<AlertPlaceholder> out;
  for (auto p = next_alert_placeholder(text, 0); p; p = next_alert_placeholder(text, p->end)) out.push_back(*p);
  return out;
}

std::string problems_of(std::string_view text) {
  Diagnostics diags;
  check_alert_placeholders(text, "r.yml", diags);
  return diags.to_string();
}

}  // namespace

TEST(AlertPlaceholders, FindsEachKindWithItsDefault) {
  const std::string text =
      "expr: q > ${alerts.ollamaQueueBacklog.threshold:-10}\n"
      "for: ${alerts.ollamaQueueBacklog.for:-10m}\n"
      "runbook_url: ${alerts.runbookUrl:-docs/runbooks.md}#ollamaqueuebacklog ${HOME} ${alerts.x";
  auto found = all_of(text);
  ASSERT_EQ(found.size(), 3u);
  EXPECT_EQ(found[0].field, AlertField::Threshold);
  EXPECT_EQ(found[0].alert, "ollamaQueueBacklog");
  EXPECT_EQ(found[0].fallback, "10");
  EXPECT_EQ(text.substr(found[0].begin, found[0].end - found[0].begin), "${alerts.ollamaQueueBacklog.threshold:-10}");
  EXPECT_EQ(found[1].field, AlertField::For);
  EXPECT_EQ(found[1].fallback, "10m");
  EXPECT_EQ(found[2].field, AlertField::RunbookUrl);
  EXPECT_EQ(found[2].alert, "");
  EXPECT_EQ(found[2].fallback, "docs/runbooks.md");
  for (const auto& p : found) EXPECT_EQ(p.problem, "");
  EXPECT_EQ(problems_of(text), "");
}

TEST(AlertPlaceholders, MalformedOnesSayWhatTheyMustBe) {
  const std::string shape =
      "} must be ${alerts.NAME.threshold:-DEFAULT}, ${alerts.NAME.for:-DEFAULT} or ${alerts.runbookUrl:-DEFAULT}";
  for (const char* body : {"ollamaQueueBacklog.threshold", "ollamaQueueBacklog.threshold:-", "ollamaQueueBacklog.limit:-1",
                           "ollama-down.for:-1m", "for:-1m", "runbookUrl:-", "runbookUrl", ""}) {
    auto found = all_of(std::string("${alerts.") + body + "}");
    ASSERT_EQ(found.size(), 1u) << body;
    EXPECT_EQ(found[0].problem, std::string("placeholder ${alerts.") + body + shape) << body;
  }
  auto unknown = all_of("${alerts.nope.threshold:-1} ${alerts.runbookUrl.for:-1}");
  ASSERT_EQ(unknown.size(), 2u);
  EXPECT_EQ(unknown[0].problem, "${alerts.nope.threshold} names no tunable alert");
  EXPECT_EQ(unknown[1].problem, "${alerts.runbookUrl.for} names no tunable alert");
  // An alert without a threshold (spec.alerts refuses one) has no threshold placeholder either.
  auto stateful = all_of("${alerts.gpuXidError.threshold:-0} ${alerts.gpuXidError.for:-0m}");
  ASSERT_EQ(stateful.size(), 2u);
  EXPECT_EQ(stateful[0].problem, "${alerts.gpuXidError.threshold} names an alert whose threshold cannot be set (only its 'for')");
  EXPECT_EQ(stateful[1].problem, "");
  // A placeholder ends at the first '}': a second "${alerts." inside it is part of the first.
  auto nested = all_of("${alerts.a ${alerts.ollamaDown.for:-2m}");
  ASSERT_EQ(nested.size(), 1u);
  EXPECT_NE(nested[0].problem, "");
}

TEST(AlertPlaceholders, ProblemsAreReportedWhereTheyAre) {
  EXPECT_EQ(problems_of("groups:\n  - expr: x > ${alerts.nope.threshold:-1}\n    for: ${alerts.ollamaDown.for}\n"),
            "r.yml:2:15: ${alerts.nope.threshold} names no tunable alert\n"
            "r.yml:3:10: placeholder ${alerts.ollamaDown.for} must be ${alerts.NAME.threshold:-DEFAULT}, "
            "${alerts.NAME.for:-DEFAULT} or ${alerts.runbookUrl:-DEFAULT}\n");
  std::string many;
  for (int i = 0; i < 1000; ++i) many += "${alerts.x}\n";
  Diagnostics diags;
  check_alert_placeholders(many, "r.yml", diags);
  ASSERT_EQ(diags.items().size(), 21u);
  EXPECT_EQ(diags.items()[19].line, 20);
  EXPECT_EQ(diags.items()[20].message, "and 980 more malformed ${alerts...} placeholders");
}

// A ~60 KB placeholder (under the 64 KB bound of a rule file's values) made
// `stackd validate` die with SIGSEGV while std::regex scanned rule files.
TEST(AlertPlaceholders, LongPlaceholdersAreAnsweredNotFatal) {
  const std::string lng(60 * 1024, 'x');
  auto e = problems_of("expr: up > ${alerts." + lng + "}\n");
  EXPECT_EQ(e.rfind("r.yml:1:12: placeholder ${alerts.xxxx", 0), 0u) << e.substr(0, 200);
  EXPECT_LT(e.size(), 400u) << "the value was echoed back whole";
  EXPECT_NE(problems_of("${alerts." + lng + ".threshold:-1}").find("(61440 bytes).threshold} names no tunable alert"),
            std::string::npos);
  const std::string text = "${alerts.ollamaDown.for:-" + lng + "}";  // the views point into it
  auto long_default = all_of(text);
  ASSERT_EQ(long_default.size(), 1u);
  EXPECT_EQ(long_default[0].fallback, lng);
  // Unterminated and repeated openings: one pass, no placeholder.
  std::string open;
  for (int i = 0; i < 100000; ++i) open += "${alerts.";
  EXPECT_TRUE(all_of(open).empty());
  EXPECT_EQ(all_of(open + "}").size(), 1u);
}

// Through the loader: a malformed placeholder of a rule file the manifest
// names is an error at its place in that file, for every verb that loads.
TEST(AlertPlaceholders, TheLoaderReportsThemInTheRuleFile) {
  const auto dir = fs::temp_directory_path() / ("stackd-placeholders-" + std::to_string(::getpid()));
  fs::create_directories(dir);
  std::ofstream(dir / "rules.yml") << "groups:\n  - name: g\n    rules:\n      - alert: A\n        expr: up > ${alerts."
                                   << std::string(60 * 1024, 'x') << "}\n";
  std::ofstream(dir / "stack.yaml") << "apiVersion: stackd.dev/v1alpha1\nkind: MonitoringStack\nmetadata: {name: demo}\n"
                                       "spec:\n  prometheus: {rules: [rules.yml]}\n";
  std::string e;
  try {
    load((dir / "stack.yaml").string());
  } catch (const ManifestError& error) {
    e = error.what();
  }
  fs::remove_all(dir);
  EXPECT_NE(e.find("rules.yml:5:20: placeholder ${alerts.xxxx"), std::string::npos) << e.substr(0, 400);
}

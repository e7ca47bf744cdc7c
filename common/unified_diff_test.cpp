#include "common/unified_diff.hpp"

#include <gtest/gtest.h>

using namespace stackd;

TEST(UnifiedDiff, EqualTextsHaveNoDiff) { EXPECT_EQ(unified_diff("a\nb\n", "a\nb\n", "x", "x"), ""); }

TEST(UnifiedDiff, ShowsTheChangedLineWithContextAndLabels) {
  auto d = unified_diff("groups:\n- name: g\n  rules:\n  - alert: A\n    expr: up == 0\n",
                        "groups:\n- name: g\n  rules:\n  - alert: A\n    expr: up == 1\n", "a/prometheus/alerts.yml",
                        "b/prometheus/alerts.yml");
  EXPECT_EQ(d.rfind("--- a/prometheus/alerts.yml\n+++ b/prometheus/alerts.yml\n@@ ", 0), 0u) << d;
  EXPECT_NE(d.find("\n-    expr: up == 0\n"), std::string::npos) << d;
  EXPECT_NE(d.find("\n+    expr: up == 1\n"), std::string::npos) << d;
  EXPECT_NE(d.find("\n   - alert: A\n"), std::string::npos) << d;
}

TEST(UnifiedDiff, HugeTextsAreSummarised) {
  std::string big;
  for (std::size_t i = 0; i < kMaxDiffLines + 1; ++i) big += "line\n";
  auto d = unified_diff(big, "x\n", "a", "b");
  EXPECT_NE(d.find("too large to show"), std::string::npos);
}

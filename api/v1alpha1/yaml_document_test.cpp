#include "api/v1alpha1/yaml_document.hpp"

#include <gtest/gtest.h>

using namespace stackd::manifest;

namespace {
std::string errors_of(const std::string& text, const YamlLimits& limits = {}) {
  Diagnostics d;
  auto doc = parse_yaml_document(text, "f.yaml", limits, d);
  EXPECT_EQ(doc.has_value(), d.empty()) << d.to_string();
  return d.to_string();
}
}  // namespace

TEST(YamlDocument, AcceptsAnOrdinaryDocument) {
  Diagnostics d;
  auto doc = parse_yaml_document("a: 1\nb: [x, {c: d}]\n", "f.yaml", {}, d);
  ASSERT_TRUE(doc) << d.to_string();
  EXPECT_EQ((*doc)["b"][1]["c"].as<std::string>(), "d");
}

TEST(YamlDocument, DeepNestingStopsBeforeYamlCppRecurses) {
  // 100,000 levels in flow and block style; yaml-cpp alone would recurse.
  EXPECT_NE(errors_of("a: " + std::string(100000, '[')).find("YAML nested deeper than 32 levels"), std::string::npos);
  std::string block;
  for (int i = 0; i < 40; ++i) block += std::string(i * 2, ' ') + "k:\n";
  EXPECT_NE(errors_of(block).find("nested deeper than 32"), std::string::npos);
  std::string list;
  for (int i = 0; i < 40; ++i) list += std::string(i * 2, ' ') + "- \n";
  EXPECT_NE(errors_of(list).find("nested deeper than 32"), std::string::npos);
  EXPECT_EQ(errors_of(std::string(31, '[') + std::string(31, ']')), "");
}

TEST(YamlDocument, DuplicateKeysAndSecondDocuments) {
  EXPECT_EQ(errors_of("a: 1\nb: 2\na: 3\n"), "f.yaml:3:1: duplicate key 'a' (YAML keys must be unique in a mapping)\n");
  EXPECT_NE(errors_of("m: {x: 1, x: 2}\n").find("f.yaml:1:11: duplicate key 'x'"), std::string::npos);
  EXPECT_NE(errors_of("a: 1\n---\nb: 2\n").find("second YAML document"), std::string::npos);
  EXPECT_EQ(errors_of("---\na: 1\n"), "");
  // Same key in different mappings is fine.
  EXPECT_EQ(errors_of("a: {x: 1}\nb: {x: 1}\n"), "");
}

TEST(YamlDocument, TagsAliasesKeysAndValues) {
  EXPECT_NE(errors_of("a: !custom 1\n").find("f.yaml:1:4: unsupported YAML tag '!custom'"), std::string::npos);
  EXPECT_EQ(errors_of("a: !!str 1\nb: !!int 2\n"), "");
  EXPECT_NE(errors_of("a: &x 1\nb: *x\n").find("f.yaml:2:4: YAML aliases"), std::string::npos);
  YamlLimits aliases = referenced_file_limits();
  EXPECT_EQ(errors_of("a: &x 1\nb: *x\n", aliases), "");
  EXPECT_NE(errors_of("? [a]\n: 1\n").find("mapping key must be a string"), std::string::npos);
  EXPECT_NE(errors_of("a: \"x\\0y\"\n").find("NUL character"), std::string::npos);
  EXPECT_NE(errors_of("a: " + std::string(70000, 'x') + "\n").find("f.yaml:1:4: value of 70000 bytes is longer"),
            std::string::npos);
  YamlLimits few;
  few.max_nodes = 10;
  EXPECT_NE(errors_of("[1,2,3,4,5,6,7,8,9,10,11,12]", few).find("more than 10 YAML nodes"), std::string::npos);
  EXPECT_NE(errors_of("a: [unclosed\n").find("f.yaml:"), std::string::npos);
}

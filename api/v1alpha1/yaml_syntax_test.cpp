// Each usual YAML mistake, as yaml-cpp reports it through parse_yaml_document,
// comes out as a sentence at the place to fix, with that line and a caret.
#include "api/v1alpha1/yaml_syntax.hpp"

#include <gtest/gtest.h>

#include "api/v1alpha1/yaml_document.hpp"

using namespace stackd::manifest;

namespace {
// The first diagnostic of parsing `text` as stack.yaml, with its excerpt.
std::string first_error(const std::string& text) {
  Diagnostics d;
  auto doc = parse_yaml_document(text, "stack.yaml", YamlLimits{}, d);
  EXPECT_FALSE(doc) << "parsed: " << text;
  return d.items().empty() ? "" : d.items().front().to_string();
}
std::string first_line(const std::string& text) {
  auto e = first_error(text);
  return e.substr(0, e.find('\n'));
}
const std::string kHead = "spec:\n  prometheus:\n    image: x\n";
}  // namespace

TEST(YamlSyntax, AMissingColonIsNamedOnItsOwnLine) {
  EXPECT_EQ(first_error(kHead + "    retention 15d\n    port: 9090\n"),
            "stack.yaml:4:5: a ':' is missing after 'retention'\n"
            "    4 |     retention 15d\n"
            "      |     ^");
  EXPECT_EQ(first_line("spec:\n  prometheus:\n    retention 15d\n    port: 1\n"),
            "stack.yaml:3:5: a ':' is missing after 'retention'");
}

TEST(YamlSyntax, AKeyIndentedUnlikeItsSiblings) {
  EXPECT_EQ(first_line(kHead + "    port: 9090\n   scrape: 1s\n"),
            "stack.yaml:5:4: the indentation of 'scrape' does not match its siblings: it starts at column 4, 'port' on "
            "line 4 at column 5");
  EXPECT_EQ(first_line(kHead + "    port: 9090\n      extra: 2\n"),
            "stack.yaml:5:7: the indentation of 'extra' does not match its siblings: it starts at column 7, 'port' on "
            "line 4 at column 5 (and 'port' already has its value on its line)");
}

TEST(YamlSyntax, AColonInsideAnUnquotedValue) {
  EXPECT_EQ(first_line("spec:\n  prometheus:\n    image: x: y\n"),
            "stack.yaml:3:12: the value of 'image' contains ': ', which YAML reads as another key: put the value in "
            "quotes (image: \"x: y\")");
}

TEST(YamlSyntax, ListItemsAndKeysMixedOnOneLevel) {
  EXPECT_NE(first_line(kHead + "  - port: 1\n").find("stack.yaml:4:3: a list item ('- ') at the indentation of the key "
                                                     "'prometheus' on line 2"),
            std::string::npos);
  EXPECT_NE(first_line("spec:\n  prometheus:\n    - image: x\n    port: 1\n")
                .find("stack.yaml:4:5: 'port' is at the indentation of the list items above it (line 3)"),
            std::string::npos);
}

TEST(YamlSyntax, TabsAndUnclosedBracketsAndQuotes) {
  EXPECT_EQ(first_line(kHead + "\tport: 9090\n"),
            "stack.yaml:4:1: a tab is used for indentation: YAML allows only spaces there");
  EXPECT_EQ(first_line("spec:\n  prometheus:\n    args: [a, b\n    port: 9090\n"),
            "stack.yaml:3:11: this '[' is never closed: a ']' is missing where the list ends");
  EXPECT_EQ(first_line("spec:\n  prometheus: {image: x\n  grafana: {}\n"),
            "stack.yaml:2:15: this '{' is never closed: a '}' is missing where the mapping ends");
  EXPECT_EQ(first_line("spec:\n  prometheus:\n    image: \"x\n    port: 9090\n"),
            "stack.yaml:3:12: this quote is never closed: a '\"' is missing at the end of the value");
  EXPECT_EQ(first_line("spec:\n  prometheus:\n    image: 'x\n"),
            "stack.yaml:3:12: this quote is never closed: a \"'\" is missing at the end of the value");
  EXPECT_NE(first_line("a: 'it's'\nb: 1\n").find("stack.yaml:1:8: unexpected text after the closing quote"),
            std::string::npos);
  // Brackets inside a plain value ("rate(x[5m])") are not flow collections.
  EXPECT_EQ(first_line("expr: rate(x[5m])\nargs: [a, b\n"),
            "stack.yaml:2:7: this '[' is never closed: a ']' is missing where the list ends");
}

TEST(YamlSyntax, ReservedCharactersAndEscapes) {
  EXPECT_EQ(first_line("spec:\n  image: @x\n"),
            "stack.yaml:2:10: '@' cannot start an unquoted value (YAML reserves it): put the value in quotes");
  EXPECT_NE(first_line("a: \"x\\qy\"\n").find("'\\q' is not an escape YAML knows inside double quotes"),
            std::string::npos);
}

TEST(YamlSyntax, QuotesThatCloseAreNotFlagged) {
  Diagnostics d;
  EXPECT_TRUE(parse_yaml_document("a: \"x \\\" y\"\nb: 'it''s'\nc: \"multi\n  line\"\n", "f.yaml", {}, d))
      << d.to_string();
}

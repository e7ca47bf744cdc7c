#include "common/bounded_json.hpp"

#include <gtest/gtest.h>

using stackd::JsonError;
using stackd::JsonLimits;
using stackd::parse_json_bounded;

TEST(BoundedJson, ParsesOrdinaryDocuments) {
  auto j = parse_json_bounded(R"({"a": [1, {"b": "x[{"}], "c": "\"{"})");
  EXPECT_EQ(j["a"][1]["b"], "x[{");
  EXPECT_EQ(j["c"], "\"{");
}

TEST(BoundedJson, RejectsDeepNestingBeforeBuildingATree) {
  std::string deep(70000, '[');
  deep += std::string(70000, ']');
  try {
    parse_json_bounded(deep);
    FAIL() << "accepted a document 70000 levels deep";
  } catch (const JsonError& e) {
    EXPECT_EQ(e.offset(), 64u);  // the 65th '['
    EXPECT_NE(std::string(e.what()).find("deeper than 64"), std::string::npos) << e.what();
  }
  // Exactly at the limit is fine.
  std::string ok = std::string(64, '[') + std::string(64, ']');
  EXPECT_NO_THROW(parse_json_bounded(ok));
  // Brackets inside strings do not count.
  EXPECT_NO_THROW(parse_json_bounded("[\"" + std::string(1000, '[') + "\"]"));
}

TEST(BoundedJson, RejectsOversizedDocuments) {
  JsonLimits small;
  small.max_bytes = 10;
  EXPECT_THROW(parse_json_bounded("[1,2,3,4,5,6,7]", small), JsonError);
}

TEST(BoundedJson, InvalidJsonCarriesTheOffset) {
  std::string text = "{\n  \"a\": 1,\n  oops\n}";
  try {
    parse_json_bounded(text);
    FAIL();
  } catch (const JsonError& e) {
    auto p = stackd::position_at(text, e.offset());
    EXPECT_EQ(p.line, 3);
    EXPECT_EQ(p.column, 3);
    EXPECT_EQ(std::string(e.what()), "an object key must be a string in double quotes");
  }
}

namespace {
// "line:col: message" of parsing `text`.
std::string where(const std::string& text) {
  try {
    parse_json_bounded(text);
  } catch (const JsonError& e) {
    auto p = stackd::position_at(text, e.offset());
    return std::to_string(p.line) + ":" + std::to_string(p.column) + ": " + e.what();
  }
  return "valid";
}
}  // namespace

// nlohmann's parse errors as sentences at the token to fix.
TEST(BoundedJson, SyntaxErrorsNameWhatIsMissingWhereItIsMissing) {
  EXPECT_EQ(where("{\n  \"a\": 1\n  \"b\": 2\n}"), "3:3: expected ',' or '}' (a ',' missing after the value before?)");
  EXPECT_EQ(where("{\"a\": 1,}"), "1:8: a ',' before '}': JSON allows no trailing comma");
  EXPECT_EQ(where("[1, 2,]"), "1:6: a ',' before ']': JSON allows no trailing comma");
  EXPECT_EQ(where("{\"a\" 1}"), "1:6: expected ':' after the key");
  EXPECT_EQ(where("[1 2]"), "1:4: expected ',' or ']' (a ',' missing after the element before?)");
  EXPECT_EQ(where("{\"a\": tru}"), "1:7: not a JSON value: write true, false, null, a number or a \"string\"");
  EXPECT_EQ(where("{\"a\": \"x\ny\"}"), "1:7: this string is not closed: a '\"' is missing before the end of the line");
  EXPECT_EQ(where("{\"a\": {\"b\": 1}"), "1:15: expected ',' or '}': the file ends inside an object (a '}' is missing)");
  EXPECT_EQ(where("{\"a\":1} x"), "1:9: text after the end of the JSON document (one top-level value per file)");
  EXPECT_EQ(where("{'a': 1}"), "1:2: an object key must be a string in double quotes");
  EXPECT_EQ(where(""), "1:1: the file ends where a JSON value should be");
  // Found by fuzz_canonical_dashboard: a file that ends after a ',' in an
  // object was explained by reading the byte past its end.
  EXPECT_EQ(where("{\"a\": 1,"), "1:9: expected a key in double quotes: the file ends inside an object (a '}' is missing)");
  EXPECT_EQ(where("{\"a\": 1,  \n"), "2:1: expected a key in double quotes: the file ends inside an object (a '}' is missing)");
}

TEST(BoundedJson, DiscardedInsteadOfThrowingForServerAnswers) {
  EXPECT_TRUE(stackd::parse_json_or_discarded("{").is_discarded());
  EXPECT_TRUE(stackd::parse_json_or_discarded(std::string(100, '{')).is_discarded());
  EXPECT_EQ(stackd::parse_json_or_discarded("{\"Id\":\"x\"}")["Id"], "x");
}

// Found by fuzz_docker_events: a number beyond a double's range made
// nlohmann throw out_of_range, which is not a parse_error, and ended the
// process from the Docker event stream's decoder.
TEST(BoundedJson, ANumberOutOfRangeIsAnErrorNotAnEscapingException) {
  EXPECT_THROW(parse_json_bounded(R"({"timeNano":1e3000})", JsonLimits{}), JsonError);
  EXPECT_TRUE(stackd::parse_json_or_discarded(R"({"timeNano":1e3000})").is_discarded());
}

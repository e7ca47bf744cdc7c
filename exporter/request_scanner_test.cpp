#include "exporter/request_scanner.hpp"

#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

namespace stackd::exporter {
namespace {

struct Scan {
  std::optional<std::string> model;
  bool stream = false, stream_options = false, closed = false, failed = false;
  std::optional<std::size_t> brace;  // offset in the whole body
};

Scan scan(const std::string& body, const std::vector<std::size_t>& cuts = {}) {
  RequestScanner s;
  Scan out;
  std::size_t prev = 0;
  auto pieces = cuts;
  pieces.push_back(body.size());
  for (auto c : pieces) {
    if (auto b = s.feed(std::string_view(body).substr(prev, c - prev))) {
      EXPECT_FALSE(out.brace) << "closing brace reported twice";
      out.brace = prev + *b;
    }
    prev = c;
  }
  out.model = s.model();
  out.stream = s.stream();
  out.stream_options = s.has_stream_options();
  out.closed = s.closed();
  out.failed = s.failed();
  return out;
}

TEST(RequestScanner, FindsTopLevelModelAnywhere) {
  EXPECT_EQ(scan(R"({"model":"llama3.2:1b","prompt":"hi"})").model, "llama3.2:1b");
  EXPECT_EQ(scan(R"({"options":{"model":"nested"},"model":"top"})").model, "top");
  EXPECT_EQ(scan(R"({"messages":[{"model":"x","content":"a \"model\": \"y\""}],"model":"m"})").model, "m");
  EXPECT_EQ(scan(R"({"model":"m","images":["AAAA)").model, "m");  // truncated after the model
  EXPECT_EQ(scan(R"({"prompt":"x","mod)").model, std::nullopt);
  EXPECT_EQ(scan(R"({"model":42})").model, std::nullopt);
  EXPECT_EQ(scan(R"({"model":"a","model":"b"})").model, "b");  // the last one, as Go decodes it
  EXPECT_EQ(scan(R"({"model":"a\"b\\c\/d"})").model, "a\"b\\c/d");
  EXPECT_EQ(scan(R"({"model":"caf\u00e9"})").model, "caf\\u00e9");
  EXPECT_TRUE(scan("not json").failed);
  EXPECT_TRUE(scan("[1,2]").failed);
  EXPECT_FALSE(scan("").closed);
  // After megabytes of image data.
  std::string big = R"({"messages":[{"role":"user","images":[")" + std::string(3 << 20, 'A') + R"("]}],"model":"llava:7b"})";
  EXPECT_EQ(scan(big, {1000, 1 << 20, 2 << 20}).model, "llava:7b");
  // A very long name is cut (the label becomes "other").
  auto long_name = scan(R"({"model":")" + std::string(1000, 'm') + R"("})");
  EXPECT_EQ(long_name.model->size(), RequestScanner::kMaxModel);
}

TEST(RequestScanner, StreamFlagsAndClosingBrace) {
  const std::string body = R"( { "model" : "m", "messages" : [ {"content":"}"} ], "stream" : true } )";
  for (std::size_t cut = 0; cut <= body.size(); ++cut) {
    auto s = scan(body, {cut});
    SCOPED_TRACE("cut at " + std::to_string(cut));
    EXPECT_EQ(s.model, "m");
    EXPECT_TRUE(s.stream);
    EXPECT_FALSE(s.stream_options);
    EXPECT_TRUE(s.closed);
    ASSERT_TRUE(s.brace);
    EXPECT_EQ(*s.brace, body.rfind('}'));
  }
  EXPECT_FALSE(scan(R"({"stream":false})").stream);
  EXPECT_FALSE(scan(R"({"stream":"true"})").stream);
  EXPECT_TRUE(scan(R"({"stream":false,"stream":true})").stream);
  EXPECT_TRUE(scan(R"({"stream":true,"stream_options":{"include_usage":false}})").stream_options);
  EXPECT_TRUE(scan(R"({"stream_options":null})").stream_options);
  auto empty = scan("{}");
  EXPECT_TRUE(empty.closed);
  EXPECT_EQ(empty.brace, 1u);
}

TEST(RequestScanner, RandomSplitsGiveTheSameAnswer) {
  const std::string body =
      R"({"model":"qwen2.5:0.5b","messages":[{"role":"user","content":"say \"hi\" {[ \\ ]}"}],"temperature":0.5,)"
      R"("tools":[{"type":"function","function":{"name":"f","parameters":{"a":[1,2,{"b":null}]}}}],"stream":true})";
  std::mt19937 rng(7);
  for (int round = 0; round < 300; ++round) {
    std::vector<std::size_t> cuts;
    for (std::size_t pos = 1 + rng() % 9; pos < body.size(); pos += 1 + rng() % 9) cuts.push_back(pos);
    auto s = scan(body, cuts);
    ASSERT_EQ(s.model, "qwen2.5:0.5b");
    ASSERT_TRUE(s.stream);
    ASSERT_EQ(s.brace, body.size() - 1);
  }
}

TEST(RequestScanner, UntilModelStopsAtTheModel) {
  RequestScanner s(/*until_model=*/true);
  const std::string body = R"({"model":"m","stream":true,"messages":[]})";
  EXPECT_EQ(s.feed(body), std::nullopt);  // no closing brace: it stopped before
  EXPECT_EQ(s.model(), "m");
  EXPECT_TRUE(s.ended());
  EXPECT_FALSE(s.stream());
  RequestScanner late(true);
  late.feed(R"({"prompt":"x","model":"n"})");
  EXPECT_EQ(late.model(), "n");
  RequestScanner none(true);
  none.feed(R"({"prompt":"x"})");
  EXPECT_TRUE(none.closed());
  EXPECT_EQ(none.model(), std::nullopt);
}

TEST(RequestScanner, StopsAtWhatCannotBeAnObject) {
  for (std::string bad : {R"({"a" 1})", R"({"a":1 "b":2})", R"({,})", R"({"a":})", R"({"a":1,})"}) {
    auto s = scan(bad);
    EXPECT_FALSE(s.closed) << bad;
  }
  // Bytes after the object are not looked at.
  auto trailing = scan(R"({"model":"m"} {"model":"x"})");
  EXPECT_EQ(trailing.model, "m");
  EXPECT_EQ(trailing.brace, 12u);
}

}  // namespace
}  // namespace stackd::exporter

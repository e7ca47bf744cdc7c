#include "exporter/stream_meter.hpp"

#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>


namespace stackd::exporter {
namespace {

const std::string kGenerate =
    "{\"model\":\"llama3.2:1b\",\"created_at\":\"2026-01-01T00:00:00Z\",\"response\":\"The\",\"done\":false}\n"
    "{\"model\":\"llama3.2:1b\",\"created_at\":\"2026-01-01T00:00:00Z\",\"response\":\" sky \\\"error\\\"\",\"done\":false}\n"
    "{\"model\":\"llama3.2:1b\",\"created_at\":\"2026-01-01T00:00:00Z\",\"response\":\"\",\"done\":true,"
    "\"done_reason\":\"stop\",\"context\":[1,2,3],\"total_duration\":5043500667,\"load_duration\":5025959,"
    "\"prompt_eval_count\":26,\"prompt_eval_duration\":325953000,\"eval_count\":290,\"eval_duration\":4709213000}\n";

const std::string kChatError =
    "{\"model\":\"m\",\"created_at\":\"t\",\"message\":{\"role\":\"assistant\",\"content\":\"Hi\"},\"done\":false}\r\n"
    "{\"error\":\"an error was encountered while running the model\"}\r\n";

const std::string kSse =
    ": keep-alive comment\n"
    "data: {\"id\":\"c1\",\"object\":\"chat.completion.chunk\",\"choices\":[{\"index\":0,\"delta\":{\"role\":\"assistant\",\"content\":\"\"},\"finish_reason\":null}]}\n\n"
    "data: {\"id\":\"c1\",\"object\":\"chat.completion.chunk\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"Hel\"},\"finish_reason\":null}]}\n\n"
    "data: {\"id\":\"c1\",\"object\":\"chat.completion.chunk\",\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"stop\"}]}\n\n"
    "data: {\"id\":\"c1\",\"object\":\"chat.completion.chunk\",\"choices\":[],\"usage\":{\"prompt_tokens\":11,\"completion_tokens\":7,\"total_tokens\":18}}\n\n"
    "data: [DONE]\n\n";

// Feeds `body` cut at the given positions; returns the meter and the index of
// the piece that reported the first token (-1 if none).
std::pair<StreamMeter, int> run(BodyFormat f, const std::string& body, const std::vector<std::size_t>& cuts,
                                std::size_t max_line = StreamMeter::kDefaultMaxLine) {
  StreamMeter m(f, max_line);
  int first = -1;
  std::size_t prev = 0;
  int i = 0;
  auto pieces = cuts;
  pieces.push_back(body.size());
  for (auto c : pieces) {
    if (m.feed(std::string_view(body).substr(prev, c - prev)).first_token) {
      EXPECT_EQ(first, -1) << "first token reported twice";
      first = i;
    }
    prev = c;
    ++i;
  }
  m.finish();
  return {std::move(m), first};
}

void expect_generate(const StreamStats& s) {
  EXPECT_TRUE(s.first_token);
  EXPECT_FALSE(s.error);
  EXPECT_TRUE(s.done);
  EXPECT_EQ(s.prompt_tokens, 26u);
  EXPECT_EQ(s.generated_tokens, 290u);
  EXPECT_EQ(s.eval_duration_ns, 4709213000u);
}

TEST(StreamMeter, NdjsonEverySingleSplitPoint) {
  for (std::size_t cut = 0; cut <= kGenerate.size(); ++cut) {
    auto [m, first] = run(BodyFormat::NdJson, kGenerate, {cut});
    SCOPED_TRACE("cut at " + std::to_string(cut));
    expect_generate(m.stats());
    // The first token is complete only once its line's newline arrived.
    auto first_nl = kGenerate.find('\n');
    EXPECT_EQ(first, cut <= first_nl ? 1 : 0);
  }
}

TEST(StreamMeter, NdjsonByteByByteAndRandomSplits) {
  std::vector<std::size_t> every;
  for (std::size_t i = 1; i < kGenerate.size(); ++i) every.push_back(i);
  expect_generate(run(BodyFormat::NdJson, kGenerate, every).first.stats());
  std::mt19937 rng(42);
  for (int round = 0; round < 200; ++round) {
    std::vector<std::size_t> cuts;
    std::size_t pos = 0;
    while (true) {
      pos += 1 + rng() % 40;
      if (pos >= kGenerate.size()) break;
      cuts.push_back(pos);
    }
    expect_generate(run(BodyFormat::NdJson, kGenerate, cuts).first.stats());
  }
}

TEST(StreamMeter, MidStreamErrorLineCountsAsError) {
  for (std::size_t cut = 0; cut <= kChatError.size(); ++cut) {
    auto [m, first] = run(BodyFormat::NdJson, kChatError, {cut});
    EXPECT_TRUE(m.stats().first_token);
    EXPECT_TRUE(m.stats().error) << "cut at " << cut;
    EXPECT_FALSE(m.stats().done);
  }
}

TEST(StreamMeter, SseWithUsageAndDone) {
  for (std::size_t cut = 0; cut <= kSse.size(); ++cut) {
    auto [m, first] = run(BodyFormat::Sse, kSse, {cut});
    const auto& s = m.stats();
    SCOPED_TRACE("cut at " + std::to_string(cut));
    EXPECT_TRUE(s.first_token);
    EXPECT_TRUE(s.done);
    EXPECT_FALSE(s.error);
    EXPECT_EQ(s.prompt_tokens, 11u);
    EXPECT_EQ(s.generated_tokens, 7u);
    EXPECT_FALSE(s.eval_duration_ns.has_value());
  }
}

TEST(StreamMeter, SseEmptyFirstDeltaIsNotAToken) {
  auto [m, first] = run(BodyFormat::Sse, kSse, {});
  EXPECT_EQ(first, 0);
  StreamMeter only_role(BodyFormat::Sse);
  EXPECT_FALSE(only_role.feed(kSse.substr(0, kSse.find("\n\n") + 2)).token);
  EXPECT_FALSE(only_role.stats().first_token);
}

TEST(StreamMeter, SseErrorObject) {
  auto body = std::string("data: {\"error\":{\"message\":\"boom\",\"type\":\"api_error\"}}\n\n");
  EXPECT_TRUE(run(BodyFormat::Sse, body, {7}).first.stats().error);
}

TEST(StreamMeter, NonStreamingJsonPrettyPrinted) {
  std::string body =
      "{\n  \"model\": \"m\",\n  \"response\": \"text\",\n  \"done\": true,\n  \"prompt_eval_count\": 5,\n"
      "  \"eval_count\": 9,\n  \"eval_duration\": 90000000\n}";
  for (std::size_t cut = 0; cut <= body.size(); cut += 7) {
    auto [m, first] = run(BodyFormat::Json, body, {cut});
    EXPECT_EQ(first, -1);  // no time-to-first-token for a non-streamed answer
    EXPECT_EQ(m.stats().prompt_tokens, 5u);
    EXPECT_EQ(m.stats().generated_tokens, 9u);
    EXPECT_EQ(m.stats().eval_duration_ns, 90000000u);
  }
  EXPECT_TRUE(run(BodyFormat::Json, "{\"error\":\"model 'x' not found\"}", {3}).first.stats().error);
  auto openai = run(BodyFormat::Json,
                    "{\"choices\":[{\"message\":{\"content\":\"x\"}}],\"usage\":{\"prompt_tokens\":3,\"completion_tokens\":4}}",
                    {});
  EXPECT_EQ(openai.first.stats().prompt_tokens, 3u);
  EXPECT_EQ(openai.first.stats().generated_tokens, 4u);
}

TEST(StreamMeter, FinalObjectReadPastValuesItDoesNotNeed) {
  // Ollama's final object: a long `context` array and nested values before
  // the numbers; strings with escapes; floats and negatives in count fields.
  std::string context;
  for (int i = 0; i < 5000; ++i) context += std::to_string(128000 + i) + ",";
  context += "1";
  std::string body = "{\"model\":\"m\",\"response\":\"a \\\"quoted\\\" \\u00e9\",\"done\":true,"
                     "\"context\":[" + context + "],\"nested\":{\"a\":[{\"b\":[[]]}]},"
                     "\"prompt_eval_count\":12.9,\"eval_count\":-3,\"eval_duration\":77}";
  auto [m, first] = run(BodyFormat::Json, body, {body.size() / 2});
  EXPECT_TRUE(m.stats().first_token);
  EXPECT_TRUE(m.stats().done);
  EXPECT_EQ(m.stats().prompt_tokens, 12u);           // a float is truncated
  EXPECT_EQ(m.stats().generated_tokens, std::nullopt);  // a negative count means nothing
  EXPECT_EQ(m.stats().eval_duration_ns, 77u);
}

TEST(StreamMeter, HostileObjectsAreIgnoredWithoutHarm) {
  // Nesting deeper than the parser's bound, trailing bytes, a truncated
  // document, wrong types: nothing is counted, nothing crashes.
  std::string deep = std::string(5000, '[') + std::string(5000, ']');
  for (std::string body : {"{\"eval_count\":5,\"x\":" + deep + "}", std::string("{\"eval_count\":5} {\"x\":1}"),
                           std::string("{\"eval_count\":5,\"done\":tr"), std::string("[{\"eval_count\":5}]"),
                           std::string("{\"eval_count\":\"5\",\"done\":\"true\",\"response\":7}")}) {
    auto [m, first] = run(BodyFormat::Json, body, {});
    EXPECT_EQ(m.stats().generated_tokens, std::nullopt) << body.substr(0, 60);
    EXPECT_FALSE(m.stats().done) << body.substr(0, 60);
    EXPECT_FALSE(m.stats().first_token) << body.substr(0, 60);
  }
}

TEST(StreamMeter, OverlongLinesAreBoundedAndStillReadFromTheTail) {
  // An embed response with a huge vector: metrics come last.
  std::string body = "{\"model\":\"e\",\"embeddings\":[[";
  for (int i = 0; i < 20000; ++i) body += "0.0123456,";
  body += "1]],\"total_duration\":14143917,\"load_duration\":1019500,\"prompt_eval_count\":8}";
  for (std::size_t cut : {std::size_t{10}, body.size() / 2, body.size() - 5}) {
    auto [m, first] = run(BodyFormat::Json, body, {cut}, 4096);
    EXPECT_EQ(m.stats().prompt_tokens, 8u);
    EXPECT_FALSE(m.stats().error);
  }
  // NDJSON: a long line followed by normal lines keeps working.
  std::string nd = "{\"response\":\"" + std::string(10000, 'x') + "\",\"done\":false}\n" + kGenerate;
  std::vector<std::size_t> cuts;
  for (std::size_t i = 100; i < nd.size(); i += 333) cuts.push_back(i);
  auto [m, first] = run(BodyFormat::NdJson, nd, cuts, 4096);
  expect_generate(m.stats());
  std::string err = "{\"error\":\"" + std::string(10000, 'y') + "\"}\n";
  EXPECT_TRUE(run(BodyFormat::NdJson, err, {5000}, 4096).first.stats().error);
}

TEST(StreamMeter, FinalLineWithoutNewline) {
  auto body = kGenerate.substr(0, kGenerate.size() - 1);
  expect_generate(run(BodyFormat::NdJson, body, {body.size() / 3}).first.stats());
}

TEST(StreamMeter, ContentTypes) {
  EXPECT_EQ(body_format("application/x-ndjson"), BodyFormat::NdJson);
  EXPECT_EQ(body_format("text/event-stream; charset=utf-8"), BodyFormat::Sse);
  EXPECT_EQ(body_format("application/json; charset=utf-8"), BodyFormat::Json);
  EXPECT_EQ(body_format("text/plain"), BodyFormat::Other);
}

TEST(StreamMeter, FinalChunkFieldsAndDoneReason) {
  auto [m, first] = run(BodyFormat::NdJson, kGenerate, {kGenerate.size() / 2});
  const auto& s = m.stats();
  EXPECT_EQ(s.total_duration_ns, 5043500667u);
  EXPECT_EQ(s.load_duration_ns, 5025959u);
  EXPECT_EQ(s.prompt_eval_duration_ns, 325953000u);
  EXPECT_EQ(s.cached_prompt_tokens, std::nullopt);  // older Ollama: no prompt_eval_cached_count
  EXPECT_EQ(s.done_reason, "stop");
  EXPECT_FALSE(s.invalid_metrics);
  // Ollama with ollama/ollama#17943 (a real final chunk of that release).
  const std::string cached =
      "{\"model\":\"llama3.2:1b\",\"created_at\":\"2026-09-17T15:42:59.7420965Z\",\"message\":{\"role\":\"assistant\","
      "\"content\":\"\"},\"done\":true,\"done_reason\":\"length\",\"total_duration\":30258609300,\"load_duration\":"
      "19906358300,\"prompt_eval_count\":29,\"prompt_eval_cached_count\":16,\"prompt_eval_duration\":10175903000,"
      "\"eval_count\":3,\"eval_duration\":173639000}\n";
  auto c = run(BodyFormat::NdJson, cached, {}).first.stats();
  EXPECT_EQ(c.cached_prompt_tokens, 16u);
  EXPECT_EQ(c.done_reason, "length");
}

TEST(StreamMeter, LoadAndUnloadAnswersCarryOnlyTheirReason) {
  for (std::string reason : {"load", "unload"}) {
    auto body = "{\"model\":\"m\",\"created_at\":\"t\",\"response\":\"\",\"done\":true,\"done_reason\":\"" + reason + "\"}";
    auto s = run(BodyFormat::Json, body, {}).first.stats();
    EXPECT_TRUE(s.done);
    EXPECT_EQ(s.done_reason, reason);
    EXPECT_FALSE(s.first_token);
    EXPECT_FALSE(s.total_duration_ns || s.prompt_tokens || s.generated_tokens);
  }
}

TEST(StreamMeter, NegativeOrWrongTypedMetricsAreInvalid) {
  auto s = run(BodyFormat::Json, R"({"done":true,"total_duration":-5,"eval_count":3,"eval_duration":"x"})", {})
               .first.stats();
  EXPECT_TRUE(s.invalid_metrics);
  EXPECT_EQ(s.total_duration_ns, std::nullopt);
  EXPECT_EQ(s.eval_duration_ns, std::nullopt);
  EXPECT_EQ(s.generated_tokens, 3u);
  EXPECT_EQ(s.done_reason.size(), 0u);
  auto long_reason = run(BodyFormat::Json, "{\"done\":true,\"done_reason\":\"" + std::string(500, 'z') + "\"}", {});
  EXPECT_EQ(long_reason.first.stats().done_reason.size(), StreamStats::kMaxReason);
}

TEST(StreamMeter, OpenAiFinishReasonAndCachedTokens) {
  auto s = run(BodyFormat::Sse, kSse, {}).first.stats();
  EXPECT_EQ(s.done_reason, "stop");
  const std::string cached =
      "data: {\"choices\":[],\"usage\":{\"prompt_tokens\":40,\"completion_tokens\":2,\"total_tokens\":42,"
      "\"prompt_tokens_details\":{\"cached_tokens\":32}}}\n\n";
  EXPECT_EQ(run(BodyFormat::Sse, cached, {}).first.stats().cached_prompt_tokens, 32u);
}

TEST(StreamMeter, EveryPieceThatCarriesATokenIsReported) {
  // Three token lines in three pieces, then the final chunk alone.
  StreamMeter m(BodyFormat::NdJson);
  auto lines = kGenerate;
  auto first_nl = lines.find('\n'), second_nl = lines.find('\n', first_nl + 1);
  auto a = m.feed(std::string_view(lines).substr(0, first_nl + 1));
  EXPECT_TRUE(a.first_token);
  EXPECT_TRUE(a.token);
  auto b = m.feed(std::string_view(lines).substr(first_nl + 1, second_nl - first_nl));
  EXPECT_FALSE(b.first_token);
  EXPECT_TRUE(b.token);
  auto c = m.feed(std::string_view(lines).substr(second_nl + 1));
  EXPECT_FALSE(c.token);  // the final chunk carries no content
  // A piece that ends inside a token line reports it with the piece that completes it.
  StreamMeter split(BodyFormat::NdJson);
  EXPECT_FALSE(split.feed(std::string_view(lines).substr(0, 10)).token);
  EXPECT_TRUE(split.feed(std::string_view(lines).substr(10, first_nl - 9)).token);
}

TEST(StreamMeter, OverlongFinalLineKeepsItsReasonAndDurations) {
  std::string body = "{\"model\":\"m\",\"response\":\"" + std::string(10000, 'x') +
                     "\",\"done\":true,\"done_reason\":\"length\",\"total_duration\":900,\"load_duration\":100,"
                     "\"prompt_eval_count\":5,\"prompt_eval_duration\":200,\"eval_count\":3,\"eval_duration\":300}";
  auto s = run(BodyFormat::Json, body, {5000}, 4096).first.stats();
  EXPECT_EQ(s.done_reason, "length");
  EXPECT_EQ(s.total_duration_ns, 900u);
  EXPECT_EQ(s.load_duration_ns, 100u);
  EXPECT_EQ(s.prompt_eval_duration_ns, 200u);
  EXPECT_EQ(s.eval_duration_ns, 300u);
  EXPECT_EQ(s.prompt_tokens, 5u);
  EXPECT_EQ(s.generated_tokens, 3u);
}

}  // namespace
}  // namespace stackd::exporter

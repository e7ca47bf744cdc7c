#include "exporter/derived_metrics.hpp"

#include <gtest/gtest.h>

#include <string>

namespace stackd::exporter {
namespace {

StreamStats parse(const std::string& final_chunk, BodyFormat f = BodyFormat::Json) {
  StreamMeter m(f);
  m.feed(final_chunk);
  m.finish();
  return m.stats();
}

// A final chunk recorded from Ollama (docs/api.md's /api/generate example).
const std::string kRecorded =
    R"({"model":"llama3.2","created_at":"2023-08-04T19:22:45.499127Z","response":"","done":true,"done_reason":"stop",)"
    R"("context":[1,2,3],"total_duration":10706818083,"load_duration":6338219291,"prompt_eval_count":26,)"
    R"("prompt_eval_duration":130079000,"eval_count":259,"eval_duration":4232710000})";

TEST(DerivedMetrics, BreakdownOfARecordedFinalChunk) {
  auto d = derive(parse(kRecorded), 4096);
  ASSERT_TRUE(d.load && d.prefill && d.decode && d.queue_wait);
  EXPECT_DOUBLE_EQ(*d.load, 6.338219291);
  EXPECT_DOUBLE_EQ(*d.prefill, 0.130079);
  EXPECT_DOUBLE_EQ(*d.decode, 4.23271);
  EXPECT_NEAR(*d.queue_wait, 10.706818083 - 6.338219291 - 0.130079 - 4.23271, 1e-9);
  EXPECT_NEAR(*d.time_per_output_token, 4.23271 / 259, 1e-12);
  EXPECT_NEAR(*d.generation_tokens_per_second, 259 / 4.23271, 1e-9);
  EXPECT_NEAR(*d.prefill_tokens_per_second, 26 / 0.130079, 1e-9);  // no cached count: all prompt tokens
  EXPECT_EQ(d.prompt_tokens, 26u);
  EXPECT_EQ(d.generated_tokens, 259u);
  EXPECT_EQ(d.cached_prompt_tokens, std::nullopt);
  EXPECT_NEAR(*d.context_fill, (26.0 + 259) / 4096, 1e-12);
}

TEST(DerivedMetrics, CachedTokensAreNotCountedInThePrefillRate) {
  auto d = derive(parse(R"({"done":true,"total_duration":1000000000,"prompt_eval_count":100,)"
                        R"("prompt_eval_cached_count":90,"prompt_eval_duration":10000000,"eval_count":1,"eval_duration":1000000})"),
                  std::nullopt);
  EXPECT_EQ(d.cached_prompt_tokens, 90u);
  EXPECT_NEAR(*d.prefill_tokens_per_second, 10 / 0.01, 1e-6);
  EXPECT_EQ(d.context_fill, std::nullopt);  // context length unknown
  // Everything cached (Ollama still evaluates one token, but a count may say all).
  auto all = derive(parse(R"({"done":true,"total_duration":5,"prompt_eval_count":10,"prompt_eval_cached_count":12,)"
                          R"("prompt_eval_duration":3})"),
                    std::nullopt);
  EXPECT_EQ(all.prefill_tokens_per_second, std::nullopt);
}

TEST(DerivedMetrics, AbsentFieldsAreZeroInAFinalChunk) {
  // Ollama omits zero fields: a final chunk without prompt_eval_duration or load_duration.
  auto d = derive(parse(R"({"done":true,"done_reason":"stop","total_duration":2000000000,"eval_count":10,"eval_duration":1500000000})"),
                  std::nullopt);
  EXPECT_EQ(d.load, 0.0);
  EXPECT_EQ(d.prefill, 0.0);
  EXPECT_EQ(d.decode, 1.5);
  EXPECT_NEAR(*d.queue_wait, 0.5, 1e-12);
  EXPECT_EQ(d.prefill_tokens_per_second, std::nullopt);
  EXPECT_EQ(d.prompt_tokens, std::nullopt);
}

TEST(DerivedMetrics, QueueWaitIsNeverNegative) {
  // Durations measured on different clocks can add up to more than the total.
  auto d = derive(parse(R"({"done":true,"total_duration":100,"load_duration":60,"prompt_eval_duration":30,"eval_duration":20,"eval_count":2})"),
                  std::nullopt);
  EXPECT_EQ(d.queue_wait, 0.0);
}

TEST(DerivedMetrics, ZeroAndNegativeDurations) {
  // A zero eval_duration gives no speed (no division by zero); a negative
  // duration makes the breakdown unreliable, so none is derived.
  auto zero = derive(parse(R"({"done":true,"total_duration":0,"eval_count":5,"eval_duration":0,"prompt_eval_count":3,"prompt_eval_duration":0})"),
                     std::nullopt);
  EXPECT_EQ(zero.time_per_output_token, std::nullopt);
  EXPECT_EQ(zero.generation_tokens_per_second, std::nullopt);
  EXPECT_EQ(zero.prefill_tokens_per_second, std::nullopt);
  EXPECT_EQ(zero.queue_wait, 0.0);
  auto negative = derive(parse(R"({"done":true,"total_duration":1000,"load_duration":-5,"eval_count":5,"eval_duration":500})"),
                         std::nullopt);
  EXPECT_EQ(negative.queue_wait, std::nullopt);
  EXPECT_EQ(negative.load, std::nullopt);
  EXPECT_EQ(negative.decode, std::nullopt);
  EXPECT_TRUE(negative.time_per_output_token);  // the valid fields still count
  EXPECT_EQ(negative.generated_tokens, 5u);
}

TEST(DerivedMetrics, LoadUnloadAndOpenAiAnswers) {
  auto load = derive(parse(R"({"model":"m","created_at":"t","response":"","done":true,"done_reason":"load"})"), 4096);
  EXPECT_FALSE(load.load || load.prefill || load.decode || load.queue_wait || load.prompt_tokens || load.context_fill);
  // /v1 usage has counts but no durations.
  auto usage = derive(parse("data: {\"choices\":[],\"usage\":{\"prompt_tokens\":7,\"completion_tokens\":3}}\n\n",
                            BodyFormat::Sse),
                      100);
  EXPECT_EQ(usage.prompt_tokens, 7u);
  EXPECT_EQ(usage.generated_tokens, 3u);
  EXPECT_FALSE(usage.queue_wait || usage.time_per_output_token);
  EXPECT_DOUBLE_EQ(*usage.context_fill, 0.1);
  // /api/embed: a load duration and prompt tokens, no generation.
  auto embed = derive(parse(R"({"model":"e","embeddings":[[0.1]],"total_duration":14143917,"load_duration":1019500,"prompt_eval_count":8})"),
                      std::nullopt);
  EXPECT_DOUBLE_EQ(*embed.load, 0.0010195);
  EXPECT_EQ(embed.prompt_tokens, 8u);
  EXPECT_FALSE(embed.queue_wait || embed.prefill || embed.decode);
}

}  // namespace
}  // namespace stackd::exporter

#include "exporter/usage_chunk_filter.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace stackd::exporter {
namespace {

std::string filter(const std::string& body, const std::vector<std::size_t>& cuts = {}, std::size_t max_line = 64 * 1024) {
  UsageChunkFilter f(max_line);
  std::string out;
  std::size_t prev = 0;
  auto pieces = cuts;
  pieces.push_back(body.size());
  for (auto c : pieces) {
    f.feed(std::string_view(body).substr(prev, c - prev), out);
    prev = c;
  }
  f.finish(out);
  return out;
}

// /v1/chat/completions as middleware/openai.go writes it, without and with
// include_usage (what the client asked for, and what Ollama sends when asked).
const std::string kChatPlain =
    "data: {\"id\":\"chatcmpl-1\",\"object\":\"chat.completion.chunk\",\"created\":1,\"model\":\"m\",\"system_fingerprint\":"
    "\"fp_ollama\",\"choices\":[{\"index\":0,\"delta\":{\"role\":\"assistant\",\"content\":\"Hi\"},\"finish_reason\":null}]}\n\n"
    "data: {\"id\":\"chatcmpl-1\",\"object\":\"chat.completion.chunk\",\"created\":1,\"model\":\"m\",\"system_fingerprint\":"
    "\"fp_ollama\",\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"stop\"}]}\n\n"
    "data: [DONE]\n\n";
const std::string kChatUsage =
    "data: {\"id\":\"chatcmpl-1\",\"object\":\"chat.completion.chunk\",\"created\":1,\"model\":\"m\",\"system_fingerprint\":"
    "\"fp_ollama\",\"choices\":[{\"index\":0,\"delta\":{\"role\":\"assistant\",\"content\":\"Hi\"},\"finish_reason\":null}]}\n\n"
    "data: {\"id\":\"chatcmpl-1\",\"object\":\"chat.completion.chunk\",\"created\":1,\"model\":\"m\",\"system_fingerprint\":"
    "\"fp_ollama\",\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"stop\"}]}\n\n"
    "data: {\"id\":\"chatcmpl-1\",\"object\":\"chat.completion.chunk\",\"created\":1,\"model\":\"m\",\"system_fingerprint\":"
    "\"fp_ollama\",\"choices\":[],\"usage\":{\"prompt_tokens\":11,\"completion_tokens\":1,\"total_tokens\":12}}\n\n"
    "data: [DONE]\n\n";

const std::string kCompletionPlain =
    "data: {\"id\":\"cmpl-1\",\"object\":\"text_completion\",\"created\":1,\"choices\":[{\"text\":\"Hi\",\"index\":0,"
    "\"finish_reason\":null}],\"model\":\"m\",\"system_fingerprint\":\"fp_ollama\"}\n\n"
    "data: {\"id\":\"cmpl-1\",\"object\":\"text_completion\",\"created\":1,\"choices\":[{\"text\":\"\",\"index\":0,"
    "\"finish_reason\":\"stop\"}],\"model\":\"m\",\"system_fingerprint\":\"fp_ollama\"}\n\n"
    "data: [DONE]\n\n";
const std::string kZero = ",\"usage\":{\"prompt_tokens\":0,\"completion_tokens\":0,\"total_tokens\":0}";
const std::string kCompletionUsage =
    "data: {\"id\":\"cmpl-1\",\"object\":\"text_completion\",\"created\":1,\"choices\":[{\"text\":\"Hi\",\"index\":0,"
    "\"finish_reason\":null}],\"model\":\"m\",\"system_fingerprint\":\"fp_ollama\"" + kZero + "}\n\n"
    "data: {\"id\":\"cmpl-1\",\"object\":\"text_completion\",\"created\":1,\"choices\":[{\"text\":\"\",\"index\":0,"
    "\"finish_reason\":\"stop\"}],\"model\":\"m\",\"system_fingerprint\":\"fp_ollama\"" + kZero + "}\n\n"
    "data: {\"id\":\"cmpl-1\",\"object\":\"text_completion\",\"created\":1,\"choices\":[],\"model\":\"m\","
    "\"system_fingerprint\":\"fp_ollama\",\"usage\":{\"prompt_tokens\":3,\"completion_tokens\":1,\"total_tokens\":4}}\n\n"
    "data: [DONE]\n\n";

TEST(UsageChunkFilter, ChatStreamBecomesWhatTheClientAskedFor) {
  for (std::size_t cut = 0; cut <= kChatUsage.size(); ++cut)
    ASSERT_EQ(filter(kChatUsage, {cut}), kChatPlain) << "cut at " << cut;
  std::vector<std::size_t> every;
  for (std::size_t i = 1; i < kChatUsage.size(); ++i) every.push_back(i);
  EXPECT_EQ(filter(kChatUsage, every), kChatPlain);
}

TEST(UsageChunkFilter, CompletionStreamLosesTheZeroUsageToo) {
  for (std::size_t cut = 0; cut <= kCompletionUsage.size(); cut += 3)
    ASSERT_EQ(filter(kCompletionUsage, {cut}), kCompletionPlain) << "cut at " << cut;
}

TEST(UsageChunkFilter, EverythingElsePassesUnchanged) {
  EXPECT_EQ(filter(kChatPlain), kChatPlain);
  const std::string other = ": comment\r\nevent: x\r\ndata: {\"usage\":{\"prompt_tokens\":1}}\r\n\r\ndata: [DONE]";
  EXPECT_EQ(filter(other, {5, 17}), other);
  // Overlong lines are not examined, and the stream continues to be filtered after them.
  const std::string long_line = "data: {\"choices\":[],\"usage\":{},\"pad\":\"" + std::string(400, 'x') + "\"}\n\n";
  EXPECT_EQ(filter(long_line + kChatUsage, {50}, 300), long_line + kChatPlain);
}

}  // namespace
}  // namespace stackd::exporter

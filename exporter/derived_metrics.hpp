#pragma once
// The per-request observations the exporter derives from what a response
// said (StreamStats): the latency breakdown, speeds, sizes and the finish
// reason. A pure function, so each rule is unit-tested on recorded chunks.
//
// What Ollama's fields cover (server/routes.go, llm/llama_server.go):
//   total_duration        request arrival .. the final chunk
//   load_duration         request arrival .. a runner is ready, including
//                         the wait for other loads or unloads
//   prompt_eval_duration  evaluation of the uncached prompt tokens only
//   prompt_eval_count     every prompt token, cached ones included
//   prompt_eval_cached_count  the cached ones (newer releases only)
//   eval_duration, eval_count  generation
// So the rest of total_duration, total - load - prefill - decode, is mostly
// the wait for a parallel slot of a loaded model (an estimate).
#include <cstdint>
#include <optional>

#include "exporter/stream_meter.hpp"

namespace stackd::exporter {

struct DerivedMetrics {
  // Latency breakdown, seconds: only from a native generation's final chunk
  // (done with total_duration) whose metrics are all valid.
  std::optional<double> queue_wait;  // estimate, never negative
  std::optional<double> load;        // also from /api/embed
  std::optional<double> prefill;
  std::optional<double> decode;
  // Speeds.
  std::optional<double> time_per_output_token;        // eval_duration / eval_count, seconds
  std::optional<double> generation_tokens_per_second;  // eval_count / eval_duration
  std::optional<double> prefill_tokens_per_second;     // uncached prompt tokens / prompt_eval_duration
  // Sizes.
  std::optional<std::uint64_t> prompt_tokens;
  std::optional<std::uint64_t> generated_tokens;
  std::optional<std::uint64_t> cached_prompt_tokens;
  std::optional<double> context_fill;  // (prompt + generated) / context length, an estimate
};

// context_length: the model's, from /api/ps, when known.
DerivedMetrics derive(const StreamStats& s, std::optional<std::uint64_t> context_length);

}  // namespace stackd::exporter

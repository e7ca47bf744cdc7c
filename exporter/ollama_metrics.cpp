#include "exporter/ollama_metrics.hpp"

#include <array>

namespace stackd::exporter {

namespace {
// LLM requests take from milliseconds (embeddings, cached prompts) to minutes
// (long generations on CPU); the top bucket is 600 s (docs/exporter.md).
const std::vector<double> kDurationBuckets = {0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1,   2.5,
                                              5,    10,    20,   30,  60,   120, 300, 600};
const std::vector<double> kTtftBuckets = {0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 20, 30, 60, 120};
const std::vector<double> kTokensPerSecondBuckets = {1, 2, 5, 10, 15, 20, 30, 40, 50, 75, 100, 150, 200, 300, 500};
// Parts of a request: a cached prompt evaluates in a millisecond, a model
// load on a slow disk takes minutes.
const std::vector<double> kPartBuckets = {0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1,
                                          2.5,   5,      10,    20,   30,    60,   120, 300, 600};
// Per token: ~5 ms on a fast GPU, seconds on a CPU.
const std::vector<double> kPerTokenBuckets = {0.0025, 0.005, 0.01, 0.02, 0.03, 0.05, 0.075, 0.1,
                                              0.15,   0.2,   0.3,  0.5,  0.75, 1,    2.5,   5};
const std::vector<double> kPrefillTokensPerSecondBuckets = {10,   25,   50,    100,   250,   500,   1000,
                                                            2500, 5000, 10000, 25000, 50000, 100000};
// Token counts: 1-2-5 steps up to the largest context windows (1M tokens).
const std::vector<double> kTokenCountBuckets = {1,    2,    5,     10,    20,    50,     100,    200,    500,   1000,
                                                2000, 5000, 10000, 20000, 50000, 100000, 200000, 500000, 1000000};
const std::vector<double> kFillBuckets = {0.05, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95, 1};
}  // namespace

OllamaMetrics::OllamaMetrics(metrics::Registry& r)
    : up(r.gauge("ollama_up", "1 when Ollama answered the last poll of /api/version, else 0.")),
      requests(r.counter("ollama_requests_total",
                         "Requests proxied to Ollama by endpoint, model and status (HTTP code; stream_error when the "
                         "body carried an error object; 499 when the client left early).",
                         {"endpoint", "model", "status"})),
      request_duration(r.histogram("ollama_request_duration_seconds",
                                   "Time from request received to response fully sent.", kDurationBuckets,
                                   {"endpoint", "model"})),
      time_to_first_token(r.histogram("ollama_time_to_first_token_seconds",
                                      "Time from request received to the first generated token of a streamed answer.",
                                      kTtftBuckets, {"model"})),
      prompt_tokens(r.counter("ollama_prompt_tokens_total", "Prompt tokens evaluated (prompt_eval_count, usage.prompt_tokens).",
                              {"model"})),
      generated_tokens(r.counter("ollama_generated_tokens_total",
                                 "Tokens generated (eval_count, usage.completion_tokens).", {"model"})),
      tokens_per_second(r.histogram("ollama_generation_tokens_per_second",
                                    "Generation speed of each request: eval_count / eval_duration.",
                                    kTokensPerSecondBuckets, {"model"})),
      in_flight(r.gauge("ollama_requests_in_flight", "Requests being served now.", {"model"})),
      queue_depth(r.gauge("ollama_queue_depth",
                          "Requests waiting beyond Ollama's parallel slots (in flight above OLLAMA_NUM_PARALLEL per model).")),
      model_loaded(r.gauge("ollama_model_loaded", "1 for each model loaded in Ollama (from /api/ps).", {"model"})),
      model_memory(r.gauge("ollama_model_memory_bytes", "Memory of each loaded model by location (vram, ram), from /api/ps.",
                           {"model", "location"})),
      inter_token_latency(r.histogram("ollama_inter_token_latency_seconds",
                                      "Time between consecutive pieces of a streamed answer that carry generated "
                                      "tokens, as they pass the proxy.",
                                      kPerTokenBuckets, {"model"})),
      time_per_output_token(r.histogram("ollama_time_per_output_token_seconds",
                                        "Generation time per output token of each request: eval_duration / eval_count.",
                                        kPerTokenBuckets, {"model"})),
      prefill_duration(r.histogram("ollama_request_prefill_duration_seconds",
                                   "Prompt evaluation time of each request (prompt_eval_duration: uncached prompt tokens "
                                   "only).",
                                   kPartBuckets, {"model"})),
      decode_duration(r.histogram("ollama_request_decode_duration_seconds",
                                  "Generation time of each request (eval_duration).", kPartBuckets, {"model"})),
      load_duration(r.histogram("ollama_request_load_duration_seconds",
                                "Time from Ollama receiving each request until its model was ready (load_duration), "
                                "including waiting for other models to load or unload.",
                                kPartBuckets, {"model"})),
      queue_wait(r.histogram("ollama_request_queue_wait_seconds",
                             "Estimate: the part of each request's total_duration that is not load, prompt evaluation "
                             "or generation (mostly the wait for a parallel slot); never negative.",
                             kPartBuckets, {"model"})),
      prefill_tokens_per_second(r.histogram(
          "ollama_prefill_tokens_per_second",
          "Prompt evaluation speed of each request: uncached prompt tokens / prompt_eval_duration. Where Ollama does not "
          "report prompt_eval_cached_count, cached tokens are counted too, which inflates the rate on cache hits.",
          kPrefillTokensPerSecondBuckets, {"model"})),
      cached_prompt_tokens(r.counter("ollama_prompt_cached_tokens_total",
                                     "Prompt tokens served from Ollama's prompt cache (prompt_eval_cached_count, "
                                     "usage.prompt_tokens_details.cached_tokens), when Ollama reports them.",
                                     {"model"})),
      request_prompt_tokens(r.histogram("ollama_request_prompt_tokens",
                                        "Prompt tokens of each request, cached ones included (prompt_eval_count, "
                                        "usage.prompt_tokens).",
                                        kTokenCountBuckets, {"model"})),
      request_generation_tokens(r.histogram("ollama_request_generation_tokens",
                                            "Tokens generated by each request (eval_count, usage.completion_tokens).",
                                            kTokenCountBuckets, {"model"})),
      finished(r.counter("ollama_requests_finished_total",
                         "Answers by why they ended: Ollama's done_reason (finish_reason on /v1): stop, length (cut off "
                         "by num_predict or max_tokens), load, unload, tool_calls, ...",
                         {"model", "reason"})),
      errors(r.counter("ollama_request_errors_total",
                       "Failed requests by kind: busy (503), cancelled (499), model_not_found, bad_request, "
                       "upstream_unreachable, timeout, stream_error, server_error.",
                       {"endpoint", "model", "kind"})),
      model_context_length(r.gauge("ollama_model_context_length",
                                   "Context length each loaded model runs with (context_length from /api/ps).",
                                   {"model"})),
      model_offload_ratio(r.gauge("ollama_model_offload_ratio",
                                  "Share of each loaded model outside VRAM, (size - size_vram) / size from /api/ps: "
                                  "above 0 part of the model runs on the CPU.",
                                  {"model"})),
      model_expires_in(r.gauge("ollama_model_expires_in_seconds",
                               "Keep-alive left before Ollama unloads each loaded model (expires_at from /api/ps "
                               "minus now, at least 0).",
                               {"model"})),
      model_loads(r.counter("ollama_model_loads_total",
                            "Model loads seen by the poller of /api/ps: a model that appears, or reappears with another "
                            "size or context length. A load and unload between two polls is missed.",
                            {"model"})),
      context_fill(r.histogram("ollama_context_fill_ratio",
                               "Estimate: (prompt + generated tokens) / the model's context length from /api/ps, per "
                               "request.",
                               kFillBuckets, {"model"})),
      version_info(r.gauge("ollama_version_info", "1, labelled with the version Ollama reports on /api/version.",
                           {"version"})),
      parallel_slots(r.gauge("ollama_parallel_slots",
                             "Parallel request slots per model the exporter assumes (--num-parallel or "
                             "OLLAMA_NUM_PARALLEL): requests beyond them count in ollama_queue_depth.")) {}

std::string endpoint_label(std::string_view target) {
  if (auto q = target.find('?'); q != std::string_view::npos) target = target.substr(0, q);
  while (target.size() > 1 && target.back() == '/') target.remove_suffix(1);
  static const std::array<std::string_view, 26> known = {
      "/",           "/api/generate",       "/api/chat",       "/api/embed",      "/api/embeddings",
      "/api/tags",   "/api/ps",             "/api/show",       "/api/pull",       "/api/push",
      "/api/create", "/api/copy",           "/api/delete",     "/api/version",    "/api/blobs",
      "/v1/chat/completions", "/v1/completions", "/v1/embeddings", "/v1/models", "/v1/responses",
      "/v1/messages", "/api/web_search",   "/api/web_fetch",  "/api/signin",     "/api/signout",
      "/api/me"};
  for (auto k : known)
    if (target == k) return std::string(k);
  // Routes with a parameter: /api/blobs/:digest, /v1/models/:model.
  if (target.starts_with("/api/blobs/")) return "/api/blobs";
  if (target.starts_with("/v1/models/")) return "/v1/models";
  return "other";
}

bool uses_model_slot(std::string_view e) {
  return e == "/api/generate" || e == "/api/chat" || e == "/api/embed" || e == "/api/embeddings" ||
         e == "/v1/chat/completions" || e == "/v1/completions" || e == "/v1/embeddings" || e == "/v1/responses" ||
         e == "/v1/messages";
}

std::string ModelLabels::normalise(std::string_view name) {
  std::string n(name);
  auto slash = n.rfind('/');
  auto colon = n.rfind(':');
  if (!n.empty() && (colon == std::string::npos || (slash != std::string::npos && colon < slash))) n += ":latest";
  return n;
}

std::string ModelLabels::label(std::string_view requested) {
  if (requested.empty()) return "";
  if (requested.size() > max_length_) return "other";
  auto name = normalise(requested);
  if (known_.count(name) || unknown_.count(name)) return name;
  if (unknown_.size() < max_unknown_) {
    unknown_.insert(name);
    return name;
  }
  return "other";
}

}  // namespace stackd::exporter

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
                           {"model", "location"})) {}

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

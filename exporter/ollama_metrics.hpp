#pragma once
// The exporter's metrics, exactly the names and labels of docs/exporter.md, and
// the label bounding that keeps their series count finite.
#include <cstddef>
#include <set>
#include <string>
#include <string_view>

#include "common/metrics/metrics.hpp"

namespace stackd::exporter {

struct OllamaMetrics {
  explicit OllamaMetrics(metrics::Registry& r);

  metrics::GaugeFamily& up;                        // ollama_up
  metrics::CounterFamily& requests;                // ollama_requests_total{endpoint,model,status}
  metrics::HistogramFamily& request_duration;      // ollama_request_duration_seconds{endpoint,model}
  metrics::HistogramFamily& time_to_first_token;   // ollama_time_to_first_token_seconds{model}
  metrics::CounterFamily& prompt_tokens;           // ollama_prompt_tokens_total{model}
  metrics::CounterFamily& generated_tokens;        // ollama_generated_tokens_total{model}
  metrics::HistogramFamily& tokens_per_second;     // ollama_generation_tokens_per_second{model}
  metrics::GaugeFamily& in_flight;                 // ollama_requests_in_flight{model}
  metrics::GaugeFamily& queue_depth;               // ollama_queue_depth
  metrics::GaugeFamily& model_loaded;              // ollama_model_loaded{model}
  metrics::GaugeFamily& model_memory;              // ollama_model_memory_bytes{model,location}

  // Beyond what other Ollama exporters measure (docs/exporter.md, second table).
  metrics::HistogramFamily& inter_token_latency;   // ollama_inter_token_latency_seconds{model}
  metrics::HistogramFamily& time_per_output_token; // ollama_time_per_output_token_seconds{model}
  metrics::HistogramFamily& prefill_duration;      // ollama_request_prefill_duration_seconds{model}
  metrics::HistogramFamily& decode_duration;       // ollama_request_decode_duration_seconds{model}
  metrics::HistogramFamily& load_duration;         // ollama_request_load_duration_seconds{model}
  metrics::HistogramFamily& queue_wait;            // ollama_request_queue_wait_seconds{model}
  metrics::HistogramFamily& prefill_tokens_per_second;  // ollama_prefill_tokens_per_second{model}
  metrics::CounterFamily& cached_prompt_tokens;    // ollama_prompt_cached_tokens_total{model}
  metrics::HistogramFamily& request_prompt_tokens;      // ollama_request_prompt_tokens{model}
  metrics::HistogramFamily& request_generation_tokens;  // ollama_request_generation_tokens{model}
  metrics::CounterFamily& finished;                // ollama_requests_finished_total{model,reason}
  metrics::CounterFamily& errors;                  // ollama_request_errors_total{endpoint,model,kind}
  metrics::GaugeFamily& model_context_length;      // ollama_model_context_length{model}
  metrics::GaugeFamily& model_offload_ratio;       // ollama_model_offload_ratio{model}
  metrics::GaugeFamily& model_expires_in;          // ollama_model_expires_in_seconds{model}
  metrics::CounterFamily& model_loads;             // ollama_model_loads_total{model}
  metrics::HistogramFamily& context_fill;          // ollama_context_fill_ratio{model}
  metrics::GaugeFamily& version_info;              // ollama_version_info{version}
  metrics::GaugeFamily& parallel_slots;            // ollama_parallel_slots
};

// Status label values besides HTTP codes.
inline constexpr std::string_view kStatusStreamError = "stream_error";  // {"error":...} in a 2xx body
inline constexpr std::string_view kStatusClientClosed = "499";          // client left before the end (nginx/Ollama usage)
inline constexpr std::string_view kStatusUpstreamFailed = "502";        // Ollama unreachable or broke off
inline constexpr std::string_view kStatusUpstreamTimeout = "504";       // Ollama silent for the upstream timeout

// Maps a request path to a bounded endpoint label: the known Ollama and
// OpenAI-compatible routes, else "other".
std::string endpoint_label(std::string_view target);

// Whether requests to this endpoint occupy one of Ollama's parallel slots.
bool uses_model_slot(std::string_view endpoint);

// Bounds the `model` label: names Ollama reports (/api/tags, /api/ps) are
// always accepted; up to max_unknown other names are accepted on first use
// (a model pulled since the last poll), then everything else becomes
// "other". Names are normalised like Ollama's ("llama3" -> "llama3:latest").
class ModelLabels {
 public:
  explicit ModelLabels(std::size_t max_unknown = 64, std::size_t max_length = 200)
      : max_unknown_(max_unknown), max_length_(max_length) {}
  std::string label(std::string_view requested);
  void set_known(std::set<std::string> names) { known_ = std::move(names); }
  void add_known(const std::string& name) { known_.insert(name); }
  static std::string normalise(std::string_view name);

 private:
  std::size_t max_unknown_;
  std::size_t max_length_;
  std::set<std::string> known_;
  std::set<std::string> unknown_;
};

}  // namespace stackd::exporter

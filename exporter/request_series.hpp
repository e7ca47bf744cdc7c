#pragma once
// The metric children a proxied request updates, found once per label
// combination and kept: looking a child up in its family takes the family's
// lock, builds a vector of label strings and walks an ordered map, which cost
// more per request than the rest of the proxy's bookkeeping.
//
// Keys are bounded by the labels themselves: endpoints by endpoint_label(),
// models by ModelLabels, statuses by HTTP's three digits and the proxy's own
// values. None of these families ever drops a child (only the /api/ps gauges
// do, and they are not cached here), so the references stay valid for the
// registry's lifetime. Single-threaded, like the proxy.
#include <array>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/metrics/metrics.hpp"
#include "exporter/ollama_metrics.hpp"
#include "exporter/request_outcome.hpp"

namespace stackd::exporter {

// Children labelled by model only, each created at its first use (a model
// that only ever served embeddings exposes no time-to-first-token series).
class ModelSeries {
 public:
  ModelSeries(OllamaMetrics& m, std::string model) : metrics_(m), labels_{std::move(model)} {}
  metrics::Gauge& in_flight() { return child(in_flight_, metrics_.in_flight); }
  metrics::Histogram& time_to_first_token() { return child(ttft_, metrics_.time_to_first_token); }
  metrics::Counter& prompt_tokens() { return child(prompt_tokens_, metrics_.prompt_tokens); }
  metrics::Counter& generated_tokens() { return child(generated_tokens_, metrics_.generated_tokens); }
  metrics::Histogram& tokens_per_second() { return child(tokens_per_second_, metrics_.tokens_per_second); }
  metrics::Histogram& inter_token_latency() { return child(itl_, metrics_.inter_token_latency); }
  metrics::Histogram& time_per_output_token() { return child(tpot_, metrics_.time_per_output_token); }
  metrics::Histogram& prefill_duration() { return child(prefill_, metrics_.prefill_duration); }
  metrics::Histogram& decode_duration() { return child(decode_, metrics_.decode_duration); }
  metrics::Histogram& load_duration() { return child(load_, metrics_.load_duration); }
  metrics::Histogram& queue_wait() { return child(queue_wait_, metrics_.queue_wait); }
  metrics::Histogram& prefill_tokens_per_second() { return child(prefill_tps_, metrics_.prefill_tokens_per_second); }
  metrics::Counter& cached_prompt_tokens() { return child(cached_, metrics_.cached_prompt_tokens); }
  metrics::Histogram& request_prompt_tokens() { return child(request_prompt_, metrics_.request_prompt_tokens); }
  metrics::Histogram& request_generation_tokens() { return child(request_generation_, metrics_.request_generation_tokens); }
  metrics::Histogram& context_fill() { return child(context_fill_, metrics_.context_fill); }
  // ollama_requests_finished_total{reason}: `reason` is already bounded (ReasonLabels).
  metrics::Counter& finished(std::string_view reason);

 private:
  template <class Child, class Family>
  Child& child(Child*& cached, Family& family) {
    if (!cached) cached = &family.with(labels_);
    return *cached;
  }
  OllamaMetrics& metrics_;
  metrics::LabelValues labels_;
  metrics::Gauge* in_flight_ = nullptr;
  metrics::Histogram* ttft_ = nullptr;
  metrics::Counter* prompt_tokens_ = nullptr;
  metrics::Counter* generated_tokens_ = nullptr;
  metrics::Histogram* tokens_per_second_ = nullptr;
  metrics::Histogram* itl_ = nullptr;
  metrics::Histogram* tpot_ = nullptr;
  metrics::Histogram* prefill_ = nullptr;
  metrics::Histogram* decode_ = nullptr;
  metrics::Histogram* load_ = nullptr;
  metrics::Histogram* queue_wait_ = nullptr;
  metrics::Histogram* prefill_tps_ = nullptr;
  metrics::Counter* cached_ = nullptr;
  metrics::Histogram* request_prompt_ = nullptr;
  metrics::Histogram* request_generation_ = nullptr;
  metrics::Histogram* context_fill_ = nullptr;
  std::vector<std::pair<std::string, metrics::Counter*>> finished_;  // by reason, few per model
};

// Children labelled by endpoint and model (and status).
class EndpointSeries {
 public:
  EndpointSeries(OllamaMetrics& m, std::string endpoint, std::string model, ModelSeries& by_model);
  ModelSeries& model() { return by_model_; }
  metrics::Histogram& duration() { return duration_; }
  metrics::Counter& requests(std::string_view status);
  metrics::Counter& errors(ErrorKind kind);

 private:
  OllamaMetrics& metrics_;
  std::string endpoint_;
  std::string model_;
  ModelSeries& by_model_;
  metrics::Histogram& duration_;
  std::vector<std::pair<std::string, metrics::Counter*>> requests_;  // by status, few per series
  std::array<metrics::Counter*, kErrorKinds> errors_{};               // by kind, created at first use
};

class RequestSeries {
 public:
  explicit RequestSeries(OllamaMetrics& m) : metrics_(m) {}
  EndpointSeries& get(std::string_view endpoint, std::string_view model);

 private:
  ModelSeries& by_model(std::string_view model);
  template <class T>
  using ByName = std::map<std::string, T, std::less<>>;  // found by string_view, no allocation
  OllamaMetrics& metrics_;
  ByName<std::unique_ptr<ModelSeries>> models_;
  ByName<ByName<std::unique_ptr<EndpointSeries>>> endpoints_;  // endpoint -> model -> series
};

}  // namespace stackd::exporter

#pragma once
// Polls Ollama's /api/version (ollama_up, ollama_version_info), /api/ps
// (loaded models: memory, offload, context length, keep-alive left, loads)
// and, less often, /api/tags (the names the model label accepts).
#include <boost/asio/awaitable.hpp>

#include <chrono>
#include <string_view>

#include "clients/http/http_client.hpp"
#include "exporter/loaded_models.hpp"
#include "exporter/ollama_metrics.hpp"

namespace stackd::exporter {

struct PsSnapshot;  // parsed /api/ps, see apply_ps()

class PsPoller {
 public:
  PsPoller(http::Client& client, OllamaMetrics& metrics, ModelLabels& labels, LoadedModels& models,
           std::chrono::milliseconds interval)
      : client_(client), metrics_(metrics), labels_(labels), models_(models), interval_(interval) {}

  // Runs until cancelled.
  boost::asio::awaitable<void> run();
  // One round; public for tests.
  boost::asio::awaitable<void> poll_once(bool with_tags);

 private:
  http::Client& client_;
  OllamaMetrics& metrics_;
  ModelLabels& labels_;
  LoadedModels& models_;
  std::chrono::milliseconds interval_;
};

// Sets the per-model gauges of an /api/ps body (ollama_model_loaded,
// _memory_bytes, _context_length, _offload_ratio, _expires_in_seconds at
// `now`), dropping the series of models no longer loaded, and counts
// ollama_model_loads_total through `models`. Returns false (and changes
// nothing) when the body is not a valid /api/ps answer. At most max_models
// are taken.
bool apply_ps(std::string_view body, std::chrono::system_clock::time_point now, OllamaMetrics& metrics,
              ModelLabels& labels, LoadedModels& models, std::size_t max_models = 256);

// Sets ollama_version_info from an /api/version body (only the current
// version keeps a series); false when it has no version string.
bool apply_version(std::string_view body, OllamaMetrics& metrics);

}  // namespace stackd::exporter

#pragma once
// Polls Ollama's /api/version (ollama_up), /api/ps (loaded models and their
// VRAM/RAM) and, less often, /api/tags (the names the model label accepts).
#include <boost/asio/awaitable.hpp>

#include <chrono>
#include <string_view>

#include "clients/http/http_client.hpp"
#include "exporter/ollama_metrics.hpp"

namespace stackd::exporter {

struct PsSnapshot;  // parsed /api/ps, see apply_ps()

class PsPoller {
 public:
  PsPoller(http::Client& client, OllamaMetrics& metrics, ModelLabels& labels, std::chrono::milliseconds interval)
      : client_(client), metrics_(metrics), labels_(labels), interval_(interval) {}

  // Runs until cancelled.
  boost::asio::awaitable<void> run();
  // One round; public for tests.
  boost::asio::awaitable<void> poll_once(bool with_tags);

 private:
  http::Client& client_;
  OllamaMetrics& metrics_;
  ModelLabels& labels_;
  std::chrono::milliseconds interval_;
};

// Sets ollama_model_loaded and ollama_model_memory_bytes from an /api/ps body,
// dropping the series of models no longer loaded. Returns false (and changes
// nothing) when the body is not a valid /api/ps answer. At most max_models are
// taken.
bool apply_ps(std::string_view body, OllamaMetrics& metrics, ModelLabels& labels, std::size_t max_models = 256);

}  // namespace stackd::exporter

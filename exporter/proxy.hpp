#pragma once
// The metering reverse proxy: one coroutine per client connection (as in
// Beast's server-flex-awaitable example). Each request is relayed to Ollama
// as it arrives and each response relayed back piece by piece as Ollama
// sends it (Beast's "relay" pattern with buffer_body), so streamed tokens are
// never held back, request bodies of any size pass, and memory per connection
// stays at one fixed buffer. While relaying, the request body goes through a
// RequestScanner (its model), the response body through a StreamMeter, and
// the request is counted when it ends.
//
// A request is in flight (ollama_requests_in_flight, and beyond the parallel
// slots queued) from the moment its header arrived: while it waits for a
// connection to Ollama and while a large body uploads too. Its model label is
// "" until the body's "model" was read, which is almost always in the first
// piece. Ollama's response header goes to the client as soon as it arrived
// (with the first piece of the body when that is already there).
//
// With inject_openai_usage (--openai-usage=inject), a /v1 streaming request
// without stream_options gets "stream_options":{"include_usage":true} added
// before its closing brace (a request with a Content-Length keeps its length:
// the bytes are reserved up front and filled with spaces when nothing is
// added), and the usage chunks this makes Ollama send are removed from the
// answer (usage_chunk_filter.hpp), so token metrics cover every OpenAI client
// without changing what it sees.
//
// GET /metrics is answered by the proxy itself (Ollama has no such route).
#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <string>

#include "common/metrics/metrics.hpp"
#include "exporter/connection_watchdog.hpp"
#include "exporter/loaded_models.hpp"
#include "exporter/ollama_metrics.hpp"
#include "exporter/request_outcome.hpp"
#include "exporter/request_series.hpp"
#include "exporter/upstream_failure_log.hpp"
#include "exporter/upstream_pool.hpp"

namespace stackd::exporter {

struct ProxyConfig {
  std::string upstream_host = "127.0.0.1";
  std::uint16_t upstream_port = 11434;
  int num_parallel = 1;                               // OLLAMA_NUM_PARALLEL of the upstream
  std::uint32_t max_header_bytes = 64 * 1024;         // request and response headers
  std::size_t model_search_bytes = 64 * 1024;         // body read for "model" when Ollama cannot be reached
  std::size_t replay_bytes = 64 * 1024;               // a request body up to this size can be sent again (replay_rule.hpp)
  std::size_t relay_buffer_bytes = 16 * 1024;         // per connection, both directions
  bool inject_openai_usage = false;                   // --openai-usage=inject
  std::chrono::milliseconds upstream_timeout{std::chrono::seconds(600)};  // longest silence from Ollama (queue + load + prompt)
  std::chrono::seconds client_idle_timeout{300};      // idle keep-alive client connections
  std::chrono::seconds client_write_timeout{60};
};

class Proxy {
 public:
  Proxy(boost::asio::any_io_executor ex, ProxyConfig cfg, const metrics::Registry& registry, OllamaMetrics& metrics,
        ModelLabels& labels, const LoadedModels& models);

  boost::asio::awaitable<void> serve(boost::asio::ip::tcp::socket socket);
  std::size_t connections() const { return open_->count; }
  // Called whenever a client connection ends (a descriptor is free again).
  // Cleared by passing {} before the callee goes away.
  void on_connection_closed(std::function<void()> f) { open_->on_closed = std::move(f); }
  // Checks the connections' deadlines until stop().
  boost::asio::awaitable<void> run_watchdog() { return watchdog_.run(); }
  void stop() { watchdog_.stop(); }

 private:
  struct Exchange;
  void begin(Exchange& x);
  void set_model(Exchange& x, std::string label);
  void end(Exchange& x);
  void update_queue_depth();
  void upstream_failed(std::string_view reason);

  ProxyConfig cfg_;
  const metrics::Registry& registry_;
  OllamaMetrics& metrics_;
  ModelLabels& labels_;
  const LoadedModels& models_;
  ReasonLabels reasons_;
  UpstreamFailureLog failure_log_;
  RequestSeries series_;
  metrics::Gauge& queue_depth_;
  UpstreamPool pool_;
  ConnectionWatchdog watchdog_;
  std::map<std::string, int> slot_users_;  // model label -> requests in flight that take a slot
  // Shared with every connection's coroutine: frames still pending when the
  // io_context is destroyed (after the Proxy) end by updating it.
  struct OpenConnections {
    std::size_t count = 0;
    std::function<void()> on_closed;
  };
  std::shared_ptr<OpenConnections> open_ = std::make_shared<OpenConnections>();
};

}  // namespace stackd::exporter

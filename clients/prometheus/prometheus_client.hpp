#pragma once
// Prometheus HTTP API client: the management and status calls stackd's hot
// reload needs (POST /-/reload, /-/ready, runtimeinfo, status/config, rules,
// instant queries, and the reload gauges from Prometheus's own /metrics).
//
// POST /-/reload is not behind Prometheus's readiness gate: while the TSDB/WAL
// replays it simply blocks (prometheus/prometheus#12181). So reload() always
// runs under a timeout and reports NotReady instead of hanging.
//
// GCC 12 pitfall: name aggregates before co_await (see docs/CONTRIBUTING.md).
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <nlohmann/json.hpp>

#include <chrono>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "clients/http/http_client.hpp"

namespace stackd::prometheus {

namespace net = boost::asio;

// Prometheus answered, but not with what the API promises (non-2xx status or
// an unexpected document). The message carries Prometheus's own text.
class ApiError : public std::runtime_error {
 public:
  ApiError(unsigned status, std::string message) : std::runtime_error(std::move(message)), status_(status) {}
  unsigned status() const { return status_; }

 private:
  unsigned status_;
};

struct ReloadResult {
  enum class Kind {
    Ok,                 // 200: the new configuration is fully applied
    Failed,             // 500: Prometheus rejected it; message = "failed to reload config: ..."
    NotReady,           // timed out or could not connect: Prometheus is starting (or gone)
    LifecycleDisabled,  // 403: --web.enable-lifecycle is missing
  } kind = Kind::Failed;
  std::string message;
};

// The two gauges Prometheus sets after every reload attempt.
struct ReloadGauges {
  bool last_reload_successful = false;    // prometheus_config_last_reload_successful
  double last_success_timestamp = 0;      // prometheus_config_last_reload_success_timestamp_seconds
};

// GET /api/v1/status/runtimeinfo, the fields stackd uses.
struct RuntimeInfo {
  std::string start_time;
  bool reload_config_success = false;
  std::string last_config_time;  // RFC 3339, one-second resolution
};

struct RuleSummary {
  std::string group;
  std::string file;
  std::string name;  // alert or record name
  std::string type;  // "alerting" | "recording"
  std::string health;
  std::string state;  // alerting rules: inactive|pending|firing
};

class Client {
 public:
  // Prometheus documents are small; 8 MiB bounds /metrics and rules answers.
  Client(net::any_io_executor executor, http::Endpoint endpoint,
         std::chrono::milliseconds timeout = std::chrono::seconds(10),
         http::Limits limits = http::Limits{.max_body = 8 * 1024 * 1024});

  const http::Endpoint& endpoint() const { return http_.endpoint(); }

  // POST /-/reload, bounded by `timeout` (post_reload below).
  net::awaitable<ReloadResult> reload(std::chrono::milliseconds timeout);
  // GET /-/ready == 200. A transport failure is "not ready", not an exception.
  net::awaitable<bool> ready();
  net::awaitable<RuntimeInfo> runtime_info();
  // The YAML Prometheus has loaded (GET /api/v1/status/config, data.yaml).
  net::awaitable<std::string> loaded_config();
  // GET /api/v1/rules, flattened.
  net::awaitable<std::vector<RuleSummary>> rules();
  // GET /api/v1/query?query=...; returns the "data" object.
  net::awaitable<nlohmann::json> query(const std::string& promql);
  // Reads the reload gauges from Prometheus's own /metrics (no scrape of
  // itself needed, so it works whatever the config says).
  net::awaitable<ReloadGauges> reload_gauges();

 private:
  net::awaitable<nlohmann::json> get_api_data(const std::string& target);
  http::Client http_;
  std::chrono::milliseconds timeout_;
};

// POST /-/reload through `http`, bounded by `timeout`: the lifecycle endpoint
// Prometheus and Alertmanager share (Alertmanager's hot reload uses it too).
// Never throws on transport failure: a connect error or timeout is NotReady.
// `component` ("Prometheus", "Alertmanager") names it in messages.
net::awaitable<ReloadResult> post_reload(http::Client& http, std::string_view component,
                                         std::chrono::milliseconds timeout);

// --- pure helpers (unit-tested) -------------------------------------------

// Value of the first sample of an unlabelled metric in Prometheus text
// exposition format; nullopt when absent or unparsable.
std::optional<double> find_sample(std::string_view exposition, std::string_view metric_name);
ReloadGauges parse_reload_gauges(std::string_view exposition);
// Parses a Prometheus API envelope ({"status":"success","data":...}) and
// returns data; throws ApiError with Prometheus's "error" text otherwise.
nlohmann::json parse_api_envelope(unsigned http_status, std::string_view body);
RuntimeInfo parse_runtime_info(const nlohmann::json& data);
std::vector<RuleSummary> parse_rules(const nlohmann::json& data);

}  // namespace stackd::prometheus

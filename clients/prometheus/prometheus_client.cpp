#include "clients/prometheus/prometheus_client.hpp"
#include "common/bounded_json.hpp"

#include <charconv>
#include <cstdlib>

namespace stackd::prometheus {

Client::Client(net::any_io_executor executor, http::Endpoint endpoint, std::chrono::milliseconds timeout,
               http::Limits limits)
    : http_(std::move(executor), std::move(endpoint), limits), timeout_(timeout) {}

net::awaitable<ReloadResult> Client::reload(std::chrono::milliseconds timeout) {
  co_return co_await post_reload(http_, "Prometheus", timeout);
}

net::awaitable<ReloadResult> post_reload(http::Client& http, std::string_view component,
                                         std::chrono::milliseconds timeout) {
  const std::string name(component);
  http::Request req;
  req.method = http::Verb::post;
  req.target = "/-/reload";
  req.timeout = timeout;
  ReloadResult result;
  http::Response resp;
  try {
    resp = co_await http.send(req);
  } catch (const http::TransportError& e) {
    // Not behind readiness: a starting component (WAL replay) blocks here.
    result.kind = ReloadResult::Kind::NotReady;
    result.message = name + " at " + http.endpoint().describe() + " did not answer POST /-/reload within " +
                     std::to_string(timeout.count()) + " ms (still starting?): " + e.what();
    co_return result;
  }
  std::string body = resp.body.substr(0, 4096);
  while (!body.empty() && (body.back() == '\n' || body.back() == '\r')) body.pop_back();
  if (resp.status == 200) {
    result.kind = ReloadResult::Kind::Ok;
  } else if (resp.status == 403) {
    result.kind = ReloadResult::Kind::LifecycleDisabled;
    result.message = name + " refused POST /-/reload (403: " + body + ")" +
                     (name == "Prometheus" ? "; it must run with --web.enable-lifecycle" : "");
  } else if (resp.status == 503) {
    result.kind = ReloadResult::Kind::NotReady;
    result.message = name + " is not ready (503): " + body;
  } else {
    result.kind = ReloadResult::Kind::Failed;
    result.message = body.empty() ? "POST /-/reload answered " + std::to_string(resp.status) : body;
  }
  co_return result;
}

net::awaitable<bool> Client::ready() {
  http::Request req;
  req.target = "/-/ready";
  req.timeout = timeout_;
  try {
    auto resp = co_await http_.send(req);
    co_return resp.status == 200;
  } catch (const http::TransportError&) {
    co_return false;
  }
}

net::awaitable<nlohmann::json> Client::get_api_data(const std::string& target) {
  http::Request req;
  req.target = target;
  req.timeout = timeout_;
  auto resp = co_await http_.send(req);
  co_return parse_api_envelope(resp.status, resp.body);
}

net::awaitable<RuntimeInfo> Client::runtime_info() {
  auto data = co_await get_api_data("/api/v1/status/runtimeinfo");
  co_return parse_runtime_info(data);
}

net::awaitable<std::string> Client::loaded_config() {
  auto data = co_await get_api_data("/api/v1/status/config");
  if (!data.is_object() || !data.contains("yaml") || !data["yaml"].is_string())
    throw ApiError(200, "GET /api/v1/status/config: no data.yaml in the answer");
  co_return data["yaml"].get<std::string>();
}

net::awaitable<std::vector<RuleSummary>> Client::rules() {
  auto data = co_await get_api_data("/api/v1/rules");
  co_return parse_rules(data);
}

net::awaitable<nlohmann::json> Client::query(const std::string& promql) {
  co_return co_await get_api_data("/api/v1/query?query=" + http::url_encode(promql));
}

net::awaitable<ReloadGauges> Client::reload_gauges() {
  http::Request req;
  req.target = "/metrics";
  req.timeout = timeout_;
  auto resp = co_await http_.send(req);
  if (resp.status != 200) throw ApiError(resp.status, "GET /metrics answered " + std::to_string(resp.status));
  co_return parse_reload_gauges(resp.body);
}

std::optional<double> find_sample(std::string_view text, std::string_view name) {
  std::size_t pos = 0;
  while (pos < text.size()) {
    std::size_t end = text.find('\n', pos);
    if (end == std::string_view::npos) end = text.size();
    std::string_view line = text.substr(pos, end - pos);
    pos = end + 1;
    if (line.size() <= name.size() || line.substr(0, name.size()) != name) continue;
    std::string_view rest = line.substr(name.size());
    if (rest.front() != ' ') continue;  // a longer name, or a labelled sample
    rest.remove_prefix(1);
    std::string value(rest.substr(0, rest.find(' ')));  // drop an optional timestamp
    char* parsed_end = nullptr;
    double v = std::strtod(value.c_str(), &parsed_end);
    if (parsed_end == value.c_str()) return std::nullopt;
    return v;
  }
  return std::nullopt;
}

ReloadGauges parse_reload_gauges(std::string_view exposition) {
  auto ok = find_sample(exposition, "prometheus_config_last_reload_successful");
  auto ts = find_sample(exposition, "prometheus_config_last_reload_success_timestamp_seconds");
  if (!ok || !ts) throw ApiError(200, "Prometheus /metrics has no prometheus_config_last_reload_* gauges");
  return ReloadGauges{*ok == 1.0, *ts};
}

nlohmann::json parse_api_envelope(unsigned status, std::string_view body) {
  auto doc = stackd::parse_json_or_discarded(body);
  if (doc.is_discarded() || !doc.is_object()) {
    throw ApiError(status, "Prometheus answered " + std::to_string(status) + " with a non-JSON body: " +
                               std::string(body.substr(0, 200)));
  }
  if (status / 100 != 2 || doc.value("status", "") != "success") {
    std::string error = doc.contains("error") && doc["error"].is_string() ? doc["error"].get<std::string>() : "";
    throw ApiError(status, "Prometheus API error (" + std::to_string(status) + "): " +
                               (error.empty() ? std::string(body.substr(0, 200)) : error));
  }
  return doc.contains("data") ? doc["data"] : nlohmann::json();
}

RuntimeInfo parse_runtime_info(const nlohmann::json& data) {
  if (!data.is_object()) throw ApiError(200, "runtimeinfo: data is not an object");
  RuntimeInfo info;
  info.start_time = data.value("startTime", "");
  info.reload_config_success = data.value("reloadConfigSuccess", false);
  info.last_config_time = data.value("lastConfigTime", "");
  return info;
}

std::vector<RuleSummary> parse_rules(const nlohmann::json& data) {
  std::vector<RuleSummary> out;
  if (!data.is_object() || !data.contains("groups") || !data["groups"].is_array())
    throw ApiError(200, "rules: data.groups missing");
  for (const auto& g : data["groups"]) {
    if (!g.is_object() || !g.contains("rules") || !g["rules"].is_array()) continue;
    for (const auto& r : g["rules"]) {
      if (!r.is_object()) continue;
      RuleSummary s;
      s.group = g.value("name", "");
      s.file = g.value("file", "");
      s.name = r.value("name", "");
      s.type = r.value("type", "");
      s.health = r.value("health", "");
      s.state = r.value("state", "");
      out.push_back(std::move(s));
    }
  }
  return out;
}

}  // namespace stackd::prometheus

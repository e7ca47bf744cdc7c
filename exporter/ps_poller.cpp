#include "exporter/ps_poller.hpp"

#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <map>
#include <set>
#include <vector>

#include "common/rfc3339.hpp"

namespace stackd::exporter {

namespace net = boost::asio;
using json = nlohmann::json;

bool apply_ps(std::string_view body, std::chrono::system_clock::time_point now, OllamaMetrics& metrics,
              ModelLabels& labels, LoadedModels& models, std::size_t max_models) {
  json j = json::parse(body.begin(), body.end(), nullptr, false);
  if (j.is_discarded() || !j.is_object() || !j.contains("models") || !j["models"].is_array()) return false;
  std::vector<metrics::LabelValues> loaded, memory;
  std::map<std::string, LoadedModels::Runner, std::less<>> runners;
  std::size_t n = 0;
  for (const auto& m : j["models"]) {
    if (!m.is_object() || ++n > max_models) continue;
    std::string name;
    for (const char* key : {"name", "model"})
      if (auto it = m.find(key); name.empty() && it != m.end() && it->is_string()) name = it->get<std::string>();
    if (name.empty()) continue;
    name = ModelLabels::normalise(name);
    labels.add_known(name);
    auto label = labels.label(name);
    auto num = [&](const char* key) -> double {
      auto it = m.find(key);
      return it != m.end() && it->is_number() ? std::max(0.0, it->get<double>()) : 0.0;
    };
    double size = num("size"), vram = num("size_vram");
    double ram = size > vram ? size - vram : 0;  // the part offloaded to CPU memory
    metrics.model_loaded.with({label}).set(1);
    metrics.model_memory.with({label, "vram"}).set(vram);
    metrics.model_memory.with({label, "ram"}).set(ram);
    metrics.model_offload_ratio.with({label}).set(size > 0 ? ram / size : 0);
    const double context = num("context_length");
    if (context > 0) metrics.model_context_length.with({label}).set(context);
    if (auto e = m.find("expires_at"); e != m.end() && e->is_string()) {
      if (auto at = parse_rfc3339(e->get_ref<const std::string&>())) {
        auto left = std::chrono::duration<double>(*at - std::chrono::time_point_cast<std::chrono::microseconds>(now));
        metrics.model_expires_in.with({label}).set(std::max(0.0, left.count()));
      }
    }
    metrics.model_loads.with({label});  // from 0, so that increase() sees the first load
    loaded.push_back({label});
    memory.push_back({label, "vram"});
    memory.push_back({label, "ram"});
    runners[label] = {size, context};
  }
  metrics.model_loaded.retain(loaded);
  metrics.model_memory.retain(memory);
  metrics.model_offload_ratio.retain(loaded);
  metrics.model_context_length.retain(loaded);
  metrics.model_expires_in.retain(loaded);
  models.update(runners, [&](const std::string& model) { metrics.model_loads.with({model}).inc(); });
  return true;
}

bool apply_version(std::string_view body, OllamaMetrics& metrics) {
  json j = json::parse(body.begin(), body.end(), nullptr, false);
  if (j.is_discarded() || !j.is_object() || !j.contains("version") || !j["version"].is_string()) return false;
  auto version = j["version"].get<std::string>();
  if (version.empty() || version.size() > 64) return false;
  metrics.version_info.with({version}).set(1);
  metrics.version_info.retain({{version}});
  return true;
}

net::awaitable<void> PsPoller::poll_once(bool with_tags) {
  http::Request version_req{.target = "/api/version", .timeout = std::chrono::seconds(5)};
  bool up = false;
  try {
    auto r = co_await client_.send(version_req);
    up = r.status == 200;
    if (up) {
      apply_version(r.body, metrics_);
      http::Request ps_req{.target = "/api/ps", .timeout = std::chrono::seconds(5)};
      auto ps = co_await client_.send(ps_req);
      if (ps.status != 200 || !apply_ps(ps.body, std::chrono::system_clock::now(), metrics_, labels_, models_))
        spdlog::warn("ollama /api/ps answered {} with an unexpected body", ps.status);
      if (with_tags) {
        http::Request tags_req{.target = "/api/tags", .timeout = std::chrono::seconds(10)};
        auto tags = co_await client_.send(tags_req);
        json j = json::parse(tags.body, nullptr, false);
        if (tags.status == 200 && j.is_object() && j.contains("models") && j["models"].is_array()) {
          std::set<std::string> names;
          for (const auto& m : j["models"])
            if (m.is_object() && m.contains("name") && m["name"].is_string() && names.size() < 1024)
              names.insert(ModelLabels::normalise(m["name"].get<std::string>()));
          labels_.set_known(std::move(names));
        }
      }
    }
  } catch (const std::exception& e) {
    spdlog::debug("ollama poll failed: {}", e.what());
    up = false;
  }
  metrics_.up.get().set(up ? 1 : 0);
  if (!up) {  // nothing is loaded in an Ollama we cannot reach
    metrics_.model_loaded.clear();
    metrics_.model_memory.clear();
    metrics_.model_offload_ratio.clear();
    metrics_.model_context_length.clear();
    metrics_.model_expires_in.clear();
  }
}

net::awaitable<void> PsPoller::run() {
  net::steady_timer timer(co_await net::this_coro::executor);
  for (unsigned round = 0;; ++round) {
    co_await poll_once(round % 12 == 0);  // tags once a minute at the default 5 s interval
    timer.expires_after(interval_);
    co_await timer.async_wait(net::use_awaitable);
  }
}

}  // namespace stackd::exporter

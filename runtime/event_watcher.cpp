#include "runtime/event_watcher.hpp"

#include <boost/asio/this_coro.hpp>
#include <boost/system/system_error.hpp>

#include <array>

#include "api/v1alpha1/labels.hpp"

namespace stackd::runtime {

namespace {

// Actions of operations stackd performs on running containers to deliver
// files and validate config (PUT/GET archive, exec promtool) and harmless
// reads by anyone. None changes a container's spec or run state.
constexpr std::array<std::string_view, 12> kNoiseActions = {
    "exec_create", "exec_start", "exec_die",      "exec_detach", "exec_resize", "archive-path",
    "extract-to-dir", "copy",    "export",        "top",         "attach",      "resize",
};

std::string_view attribute(const docker::Event& e, const char* key) {
  auto it = e.attributes.find(key);
  return it == e.attributes.end() ? std::string_view() : std::string_view(it->second);
}

}  // namespace

bool is_noise_action(std::string_view action) {
  if (auto colon = action.find(':'); colon != std::string_view::npos) action = action.substr(0, colon);
  for (auto noise : kNoiseActions) {
    if (action == noise) return true;
  }
  return false;
}

std::optional<std::string> event_key(const docker::Event& event, std::string_view stack) {
  if (attribute(event, labels::kManagedBy) != labels::kManagedByValue) return std::nullopt;
  if (!stack.empty() && attribute(event, labels::kStack) != stack) return std::nullopt;
  if (is_noise_action(event.action)) return std::nullopt;
  if (event.type == "container") {
    const std::string_view component = attribute(event, labels::kComponent);
    if (component.empty()) return std::nullopt;
    return std::string(component);
  }
  if (event.type == "network" || event.type == "volume") return std::string(kInfrastructureKey);
  return std::nullopt;
}

EventWatcher::EventWatcher(Clock& clock, Random& random, EventStream stream, EventWatcherConfig config,
                           EventCallbacks callbacks)
    : clock_(clock),
      stream_(std::move(stream)),
      config_(std::move(config)),
      callbacks_(std::move(callbacks)),
      backoff_(config_.reconnect, random) {}

net::awaitable<void> EventWatcher::run() {
  static const std::string kBackoffKey = "events";
  for (;;) {
    const SteadyTime started = clock_.now();
    bool received = false;
    std::string error = "event stream ended";
    try {
      // Named, not temporaries inside the co_await (GCC 12, CONTRIBUTING.md).
      std::function<void()> on_open = [&] {
        connected_ = true;
        if (stats_.connects++ > 0) ++stats_.reconnects;
        if (callbacks_.on_connected) callbacks_.on_connected();
      };
      std::function<bool(const docker::Event&)> on_event = [&](const docker::Event& event) {
        received = true;
        ++stats_.events;
        if (auto key = event_key(event, config_.stack)) {
          if (callbacks_.on_event) callbacks_.on_event(*key, event);
        } else {
          ++stats_.dropped;
        }
        return true;
      };
      co_await stream_(on_open, on_event);
    } catch (const std::exception& e) {
      error = e.what();
    }
    connected_ = false;
    // A cancelled run() must end, not reconnect.
    auto state = co_await net::this_coro::cancellation_state;
    if (state.cancelled() != net::cancellation_type::none) {
      throw boost::system::system_error(net::error::operation_aborted);
    }
    ++stats_.failures;
    if (received || clock_.now() - started >= config_.stable_after) backoff_.forget(kBackoffKey);
    const Duration retry_in = backoff_.next(kBackoffKey);
    if (callbacks_.on_disconnected) callbacks_.on_disconnected(error, retry_in);
    co_await sleep_for(clock_, retry_in);
  }
}

}  // namespace stackd::runtime

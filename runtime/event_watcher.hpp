#pragma once
// Keeps a Docker /events stream open and turns its events into work-queue
// keys. Events are a trigger, never the truth: the engine replays at most 256
// events and drops slow readers, so after every (re)connect on_connected()
// runs and the manager re-lists everything by label.
//
//   - reconnects with per-watcher exponential backoff (injected Clock and
//     Random), reset once a stream proved healthy (an event arrived, or it
//     stayed up for stable_after);
//   - maps events of stackd-labelled objects of this stack to keys: a
//     container event to its component (label dev.stackd.component), a
//     network or volume event to kInfrastructureKey;
//   - drops actions stackd causes itself that say nothing about state (exec_*,
//     archive-path, extract-to-dir, ...), so uploading rule files or running
//     promtool does not trigger a reconcile storm.
//
// Run it with co_spawn and a cancellation slot; cancelling ends run().
#include <boost/asio/awaitable.hpp>

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "clients/docker/docker_api.hpp"
#include "runtime/backoff.hpp"
#include "runtime/clock.hpp"

namespace stackd::runtime {

// Key for events of stackd's networks and volumes (the container reconciler
// creates those before any container).
inline constexpr std::string_view kInfrastructureKey = "infrastructure";

// Opens one event stream: calls on_open once the engine is known to answer,
// then on_event per event until the stream ends (return) or fails (throw).
using EventStream = std::function<net::awaitable<void>(std::function<void()> on_open,
                                                       std::function<bool(const docker::Event&)> on_event)>;

// The real stream, filtered by `labels` (normally owner_labels(stack)).
// on_open runs after /_ping answered, right before /events is requested;
// the manager re-lists there. The subscription asks the engine to replay
// events from that moment on, so an event between the re-list and the
// subscription still arrives.
inline EventStream docker_event_stream(docker::Api& client, docker::Labels labels) {
  return [&client, labels = std::move(labels)](std::function<void()> on_open,
                                               std::function<bool(const docker::Event&)> on_event)
             -> net::awaitable<void> {
    co_await client.negotiate();
    auto since = std::chrono::system_clock::now() - std::chrono::milliseconds(100);
    on_open();
    co_await client.events(labels, std::move(on_event), since);
  };
}

// True for actions that never change what a reconciler would decide.
// Accepts old engines' "exec_start: sh -c ..." form.
bool is_noise_action(std::string_view action);

// The work-queue key for an event, or nullopt when it is not about this
// stack's objects (stack empty: any stackd object) or is noise.
std::optional<std::string> event_key(const docker::Event& event, std::string_view stack);

struct EventWatcherConfig {
  std::string stack;  // metadata.name; events of other stacks are ignored
  BackoffPolicy reconnect{.base = std::chrono::milliseconds(500), .cap = std::chrono::seconds(30), .jitter = 0.2};
  Duration stable_after = std::chrono::seconds(10);
};

struct EventCallbacks {
  std::function<void()> on_connected;  // re-list and enqueue everything
  std::function<void(const std::string& key, const docker::Event& event)> on_event;
  std::function<void(const std::string& error, Duration retry_in)> on_disconnected;  // optional: logs
};

struct EventWatcherStats {
  std::uint64_t connects = 0;      // streams opened
  std::uint64_t reconnects = 0;    // streams opened after the first
  std::uint64_t failures = 0;      // attempts that ended in an error or an end of stream
  std::uint64_t events = 0;        // events received
  std::uint64_t dropped = 0;       // received but mapped to no key
};

class EventWatcher {
 public:
  EventWatcher(Clock& clock, Random& random, EventStream stream, EventWatcherConfig config, EventCallbacks callbacks);

  // Loops until cancelled (throws operation_aborted then).
  net::awaitable<void> run();

  // True while a stream is open: the engine is reachable (for /readyz).
  bool connected() const { return connected_; }
  // Follows a renamed stack: events of `stack` from now on.
  void set_stack(std::string stack) { config_.stack = std::move(stack); }
  const EventWatcherStats& stats() const { return stats_; }

 private:
  Clock& clock_;
  EventStream stream_;
  EventWatcherConfig config_;
  EventCallbacks callbacks_;
  Backoff backoff_;
  bool connected_ = false;
  EventWatcherStats stats_;
};

}  // namespace stackd::runtime

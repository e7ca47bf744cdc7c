#pragma once
// Which models are loaded, and loading them the way Ollama's scheduler does
// (server/sched.go):
//  - getRunner: a request for a loaded model that needs no reload goes
//    straight to that model's runner (useLoadedRunner); it never waits here
//    and is never refused (its wait for a parallel slot is slots.hpp's).
//  - Any other request joins pendingReqCh, a channel of OLLAMA_MAX_QUEUE
//    entries; when it is full the request fails with ErrMaxQueue, which
//    handleScheduleError (server/routes.go) answers with 503.
//  - One scheduler loop takes the pending requests one at a time and loads
//    their model, so loads happen one after another and a request may wait
//    for another model's load first (its load_duration includes that wait:
//    GenerateHandler's checkpointStart..checkpointLoaded spans
//    scheduleRunner). A model loaded with another context length is
//    reloaded (runnerRef.needsReload).
//  - A runner idle for its keep-alive (the request's keep_alive, else
//    OLLAMA_KEEP_ALIVE, default 5m; negative = forever: api.Duration and
//    envconfig.KeepAlive) is unloaded; expires_at in /api/ps is when that
//    happens. An empty prompt with keep_alive 0 unloads at once
//    (expireRunner).
// Single-threaded (one io_context).
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "tests/fakes/ollama/wait_queue.hpp"

namespace stackd::fakes {

// A keep-alive: nullopt is "forever" (a negative keep_alive).
using KeepAlive = std::optional<std::chrono::milliseconds>;

struct Runner {
  int context_length = 0;
  KeepAlive keep_alive;
  double expires_at = 0;  // Unix seconds; +inf-like far future when kept forever
  int in_use = 0;
  std::vector<std::uint64_t> cache;  // prompt tokens the last request left in the KV cache
};

class Scheduler {
 public:
  Scheduler(int max_queue, std::chrono::milliseconds load_time) : max_queue_(max_queue), load_time_(load_time) {}

  // The runner for `model` with `context_length`, loading it when needed;
  // nullptr when the scheduler's queue is full (503).
  boost::asio::awaitable<std::shared_ptr<Runner>> get_runner(const std::string& model, int context_length,
                                                             KeepAlive keep_alive) {
    expire_idle();
    if (auto r = ready(model, context_length)) co_return r;
    if (busy_) {
      if (static_cast<int>(pending_.size()) >= max_queue_) co_return nullptr;
      co_await pending_.wait();  // the scheduler loop handed itself to us
    }
    busy_ = true;
    auto r = ready(model, context_length);
    if (!r) {
      loaded_.erase(model);  // a reload with another context length
      if (load_time_.count() > 0) {
        boost::asio::steady_timer t(co_await boost::asio::this_coro::executor, load_time_);
        co_await t.async_wait(boost::asio::as_tuple(boost::asio::use_awaitable));
      }
      r = std::make_shared<Runner>();
      r->context_length = context_length;
      r->keep_alive = keep_alive;
      r->expires_at = expiry(keep_alive);
      loaded_[model] = r;
    }
    if (!pending_.wake_one()) busy_ = false;
    co_return r;
  }

  // A request starts or ends on the runner; the keep-alive restarts when the
  // runner goes idle (sched.go: finishedReqCh resets expiresAt).
  static void begin(Runner& r, KeepAlive keep_alive) {
    ++r.in_use;
    r.keep_alive = keep_alive;
  }
  static void end(Runner& r) {
    if (--r.in_use == 0) r.expires_at = expiry(r.keep_alive);
  }

  void unload(const std::string& model) { loaded_.erase(model); }

  // Loaded models, after unloading those idle past their keep-alive.
  const std::map<std::string, std::shared_ptr<Runner>>& loaded() {
    expire_idle();
    return loaded_;
  }
  bool is_loaded(const std::string& model) const { return loaded_.count(model) > 0; }

  static double now_unix() {
    return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
  }

 private:
  std::shared_ptr<Runner> ready(const std::string& model, int context_length) const {
    auto it = loaded_.find(model);
    if (it == loaded_.end() || it->second->context_length != context_length) return nullptr;
    return it->second;
  }
  static double expiry(KeepAlive keep_alive) {
    // Go's time.Now().Add(math.MaxInt64) is about 292 years ahead.
    if (!keep_alive) return now_unix() + 292.0 * 365.25 * 24 * 3600;
    return now_unix() + std::chrono::duration<double>(*keep_alive).count();
  }
  void expire_idle() {
    const double now = now_unix();
    for (auto it = loaded_.begin(); it != loaded_.end();) {
      if (it->second->in_use == 0 && it->second->expires_at <= now) it = loaded_.erase(it);
      else ++it;
    }
  }

  int max_queue_;
  std::chrono::milliseconds load_time_;
  bool busy_ = false;  // the scheduler loop is handling a pending request
  WaitQueue pending_;  // pendingReqCh
  std::map<std::string, std::shared_ptr<Runner>> loaded_;
};

}  // namespace stackd::fakes

#pragma once
// The daemon's one work queue: deduplicated string keys, client-go style.
//
// Three structures, as in client-go's util/workqueue/queue.go:
//   queue      — FIFO order of keys waiting to be handed out,
//   dirty      — keys that need processing (an add of a dirty key is a no-op),
//   processing — keys handed out by get() and not yet done().
// So a key is never processed twice at once; a key added while it is being
// processed is handed out again after done(). Delayed adds (add_after,
// add_rate_limited) wait on the injected Clock; of several delayed adds of
// one key the earliest wins.
//
// Single-threaded: every call, and the coroutines awaiting get(), must run
// on the io_context whose executor the queue was built with.
#include <boost/asio/awaitable.hpp>
#include <boost/asio/steady_timer.hpp>

#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>

#include "runtime/backoff.hpp"
#include "runtime/clock.hpp"

namespace stackd::runtime {

// Read by the daemon's /metrics (workqueue_depth, workqueue_adds_total,
// workqueue_retries_total, ...).
struct WorkQueueStats {
  std::size_t depth = 0;       // keys waiting to be handed out
  std::size_t processing = 0;  // keys handed out and not done
  std::size_t delayed = 0;     // keys waiting for add_after / rate limit
  std::uint64_t adds = 0;      // adds that were not deduplicated away
  std::uint64_t retries = 0;   // add_after with a delay, add_rate_limited
  // How long the key processed the longest has been processing (client-go's
  // longest_running_processor): a stuck reconcile shows here, and /healthz
  // fails on it.
  Duration longest_processing{0};
  std::string longest_processing_key;
};

// Optional observers for latency histograms; called synchronously.
struct WorkQueueHooks {
  // From the add that made the key dirty to get() handing it out.
  std::function<void(const std::string& key, Duration queued)> on_get;
  // From get() to done().
  std::function<void(const std::string& key, Duration worked)> on_done;
};

class WorkQueue {
 public:
  WorkQueue(net::any_io_executor executor, Clock& clock, Random& random, BackoffPolicy backoff = {},
            WorkQueueHooks hooks = {});
  ~WorkQueue();
  WorkQueue(const WorkQueue&) = delete;
  WorkQueue& operator=(const WorkQueue&) = delete;

  // Marks key for processing. No-op when already dirty or shut down.
  void add(const std::string& key);
  // add(key) once `delay` has passed (now when delay <= 0).
  void add_after(const std::string& key, Duration delay);
  // add_after(key, backoff.next(key)): the retry path after a failure.
  void add_rate_limited(const std::string& key);
  // Resets key's backoff (after a success). Does not remove it from the queue.
  void forget(const std::string& key);
  // Failures recorded for key since its last forget().
  unsigned num_requeues(const std::string& key) const;
  // Ends processing of a key obtained from get(); re-queues it if it was
  // added meanwhile.
  void done(const std::string& key);

  // Waits for the next key. Returns nullopt once shut down (immediately:
  // remaining keys are dropped, level-triggered reconciling loses nothing).
  // Throws operation_aborted when the awaiting coroutine is cancelled.
  net::awaitable<std::optional<std::string>> get();
  // Non-waiting get(): nullopt when nothing is ready.
  std::optional<std::string> try_get();

  // Stops handing out keys, drops delayed adds, wakes every waiter.
  void shut_down();
  bool shutting_down() const { return shutting_down_; }

  WorkQueueStats stats() const;
  bool is_dirty(const std::string& key) const { return dirty_.contains(key); }
  bool is_processing(const std::string& key) const { return processing_.contains(key); }

 private:
  std::string pop();
  Clock& clock_;
  Backoff backoff_;
  WorkQueueHooks hooks_;
  net::steady_timer wake_;  // never expires; cancelled to wake a waiter
  std::deque<std::string> queue_;
  std::set<std::string> dirty_;
  std::map<std::string, SteadyTime> dirty_since_;
  std::map<std::string, SteadyTime> processing_;  // key -> handed out at
  struct Delayed {
    SteadyTime due;
    Timer timer;
  };
  std::map<std::string, Delayed> delayed_;
  bool shutting_down_ = false;
  std::uint64_t adds_ = 0;
  std::uint64_t retries_ = 0;
};

}  // namespace stackd::runtime

#include "runtime/work_queue.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/system/system_error.hpp>

namespace stackd::runtime {

WorkQueue::WorkQueue(net::any_io_executor executor, Clock& clock, Random& random, BackoffPolicy backoff,
                     WorkQueueHooks hooks)
    : clock_(clock),
      backoff_(backoff, random),
      hooks_(std::move(hooks)),
      wake_(std::move(executor), net::steady_timer::time_point::max()) {}

WorkQueue::~WorkQueue() {
  // Delayed callbacks capture `this`.
  for (auto& [key, delayed] : delayed_) delayed.timer.cancel();
}

void WorkQueue::add(const std::string& key) {
  if (shutting_down_ || dirty_.contains(key)) return;
  dirty_.insert(key);
  dirty_since_[key] = clock_.now();
  ++adds_;
  // A key being processed is only marked dirty; done() re-queues it.
  if (processing_.contains(key)) return;
  queue_.push_back(key);
  wake_.cancel_one();
}

void WorkQueue::add_after(const std::string& key, Duration delay) {
  if (shutting_down_) return;
  if (delay <= Duration::zero()) {
    add(key);
    return;
  }
  ++retries_;
  const SteadyTime due = clock_.now() + delay;
  auto it = delayed_.find(key);
  if (it != delayed_.end()) {
    if (it->second.due <= due) return;  // an earlier add already waits
    it->second.timer.cancel();
    delayed_.erase(it);
  }
  Timer timer = clock_.call_at(due, [this, key] {
    delayed_.erase(key);
    add(key);
  });
  delayed_.emplace(key, Delayed{due, timer});
}

void WorkQueue::add_rate_limited(const std::string& key) { add_after(key, backoff_.next(key)); }

void WorkQueue::forget(const std::string& key) { backoff_.forget(key); }

unsigned WorkQueue::num_requeues(const std::string& key) const { return backoff_.attempts(key); }

std::string WorkQueue::pop() {
  std::string key = std::move(queue_.front());
  queue_.pop_front();
  const SteadyTime now = clock_.now();
  processing_[key] = now;
  dirty_.erase(key);
  auto since = dirty_since_.extract(key);
  if (hooks_.on_get && !since.empty()) hooks_.on_get(key, now - since.mapped());
  return key;
}

std::optional<std::string> WorkQueue::try_get() {
  if (shutting_down_ || queue_.empty()) return std::nullopt;
  return pop();
}

net::awaitable<std::optional<std::string>> WorkQueue::get() {
  for (;;) {
    if (shutting_down_) co_return std::nullopt;
    if (!queue_.empty()) co_return pop();
    co_await wake_.async_wait(net::as_tuple(net::use_awaitable));
    // Both add() and the caller's cancellation end the wait with
    // operation_aborted; only the latter is visible in the state.
    auto state = co_await net::this_coro::cancellation_state;
    if (state.cancelled() != net::cancellation_type::none) {
      throw boost::system::system_error(net::error::operation_aborted);
    }
  }
}

void WorkQueue::done(const std::string& key) {
  auto node = processing_.extract(key);
  if (node.empty()) return;
  if (hooks_.on_done) hooks_.on_done(key, clock_.now() - node.mapped());
  if (dirty_.contains(key) && !shutting_down_) {
    queue_.push_back(key);
    wake_.cancel_one();
  }
}

void WorkQueue::shut_down() {
  shutting_down_ = true;
  for (auto& [key, delayed] : delayed_) delayed.timer.cancel();
  delayed_.clear();
  wake_.cancel();
}

WorkQueueStats WorkQueue::stats() const {
  WorkQueueStats s{.depth = queue_.size(),
                   .processing = processing_.size(),
                   .delayed = delayed_.size(),
                   .adds = adds_,
                   .retries = retries_};
  auto now = clock_.now();
  for (const auto& [key, since] : processing_)
    if (now - since > s.longest_processing) {
      s.longest_processing = now - since;
      s.longest_processing_key = key;
    }
  return s;
}

}  // namespace stackd::runtime

#pragma once
// Parallel request slots per model with a bounded wait queue, the way Ollama
// schedules: OLLAMA_NUM_PARALLEL requests run per loaded model, up to
// OLLAMA_MAX_QUEUE more wait, and beyond that a request is refused with 503.
// Single-threaded (one io_context), so no locking.
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <deque>
#include <map>
#include <memory>
#include <string>

namespace stackd::fakes {

class Slots {
 public:
  Slots(int parallel, int max_queue) : parallel_(parallel), max_queue_(max_queue) {}

  // A held slot; releasing it hands the slot to the next waiter.
  class Lease {
   public:
    Lease(Slots* s, std::string model) : slots_(s), model_(std::move(model)) {}
    Lease(Lease&& o) noexcept : slots_(o.slots_), model_(std::move(o.model_)) { o.slots_ = nullptr; }
    Lease(const Lease&) = delete;
    ~Lease() {
      if (slots_) slots_->release(model_);
    }

   private:
    Slots* slots_;
    std::string model_;
  };

  // Returns nullptr when the queue is full (the caller answers 503).
  boost::asio::awaitable<std::unique_ptr<Lease>> acquire(std::string model) {
    auto& m = models_[model];
    if (m.active < parallel_) {
      ++m.active;
      co_return std::make_unique<Lease>(this, model);
    }
    if (waiting_ >= max_queue_) co_return nullptr;
    auto ex = co_await boost::asio::this_coro::executor;
    auto timer = std::make_shared<boost::asio::steady_timer>(ex, boost::asio::steady_timer::time_point::max());
    m.waiters.push_back(timer);
    ++waiting_;
    co_await timer->async_wait(boost::asio::as_tuple(boost::asio::use_awaitable));  // cancelled = our turn
    --waiting_;
    co_return std::make_unique<Lease>(this, model);  // the releaser passed its slot to us
  }

  int waiting() const { return waiting_; }

 private:
  void release(const std::string& model) {
    auto& m = models_[model];
    if (!m.waiters.empty()) {
      auto next = m.waiters.front();
      m.waiters.pop_front();
      next->cancel();
      return;
    }
    --m.active;
  }

  struct PerModel {
    int active = 0;
    std::deque<std::shared_ptr<boost::asio::steady_timer>> waiters;
  };
  int parallel_;
  int max_queue_;
  int waiting_ = 0;
  std::map<std::string, PerModel> models_;
};

}  // namespace stackd::fakes

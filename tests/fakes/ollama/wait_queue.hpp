#pragma once
// A first-in first-out queue of waiting coroutines: wait() suspends until
// wake_one() picks this waiter. Single-threaded (one io_context).
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <cstddef>
#include <deque>
#include <memory>

namespace stackd::fakes {

class WaitQueue {
 public:
  boost::asio::awaitable<void> wait() {
    auto ex = co_await boost::asio::this_coro::executor;
    auto timer = std::make_shared<boost::asio::steady_timer>(ex, boost::asio::steady_timer::time_point::max());
    waiters_.push_back(timer);
    co_await timer->async_wait(boost::asio::as_tuple(boost::asio::use_awaitable));  // cancelled = our turn
  }
  // Wakes the longest waiter; false when nobody waits.
  bool wake_one() {
    if (waiters_.empty()) return false;
    auto next = waiters_.front();
    waiters_.pop_front();
    next->cancel();
    return true;
  }
  std::size_t size() const { return waiters_.size(); }

 private:
  std::deque<std::shared_ptr<boost::asio::steady_timer>> waiters_;
};

}  // namespace stackd::fakes

#pragma once
// Runs coroutines concurrently on the current executor and waits for all of
// them; rethrows the first failure after all have finished. Built on Asio's
// ranged parallel_group, so cancelling the awaiting coroutine (its
// cancellation slot) cancels every child too: structured concurrency, no
// detached work left behind.
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/deferred.hpp>
#include <boost/asio/experimental/parallel_group.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <exception>
#include <vector>

namespace stackd {

inline boost::asio::awaitable<void> when_all(std::vector<boost::asio::awaitable<void>> tasks) {
  namespace net = boost::asio;
  if (tasks.empty()) co_return;
  auto ex = co_await net::this_coro::executor;
  using Op = decltype(net::co_spawn(ex, std::declval<net::awaitable<void>>(), net::deferred));
  std::vector<Op> ops;
  ops.reserve(tasks.size());
  for (auto& t : tasks) ops.push_back(net::co_spawn(ex, std::move(t), net::deferred));
  auto [order, errors] = co_await net::experimental::make_parallel_group(std::move(ops))
                             .async_wait(net::experimental::wait_for_all(), net::use_awaitable);
  (void)order;
  for (auto& e : errors)
    if (e) std::rethrow_exception(e);
}

}  // namespace stackd

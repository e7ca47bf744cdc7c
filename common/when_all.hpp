#pragma once
// Runs coroutines concurrently on the current executor and waits for all of
// them; rethrows the first failure after all have finished. (Asio 1.81's
// parallel_group takes a fixed set of operations; this takes a vector.)
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <exception>
#include <memory>
#include <vector>

namespace stackd {

inline boost::asio::awaitable<void> when_all(std::vector<boost::asio::awaitable<void>> tasks) {
  namespace net = boost::asio;
  if (tasks.empty()) co_return;
  auto ex = co_await net::this_coro::executor;
  struct Shared {
    std::size_t remaining;
    std::exception_ptr first_error;
    net::steady_timer done;
  };
  auto shared = std::make_shared<Shared>(Shared{tasks.size(), nullptr, net::steady_timer(ex, net::steady_timer::time_point::max())});
  for (auto& t : tasks)
    net::co_spawn(ex, std::move(t), [shared](std::exception_ptr e) {
      if (e && !shared->first_error) shared->first_error = e;
      if (--shared->remaining == 0) shared->done.cancel();
    });
  boost::system::error_code ec;
  co_await shared->done.async_wait(net::redirect_error(net::use_awaitable, ec));
  if (shared->first_error) std::rethrow_exception(shared->first_error);
}

}  // namespace stackd

#pragma once
// Runs one coroutine to completion on a private io_context and returns its
// result (or rethrows its exception). For unit tests against FakeEngine.
//
// Use run_await(expr) for a call with temporary arguments: the Api's
// coroutines take their arguments by reference, so the temporaries must live
// inside the coroutine that awaits them, not in a lambda that merely
// returns the awaitable.
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>

#include <utility>

namespace stackd::docker {

template <class F>
auto run_blocking(F&& make_awaitable) {
  boost::asio::io_context io;
  auto fut = boost::asio::co_spawn(io, std::forward<F>(make_awaitable), boost::asio::use_future);
  io.run();
  return fut.get();
}

}  // namespace stackd::docker

#define run_await(expr) ::stackd::docker::run_blocking([&]() -> decltype(expr) { co_return co_await (expr); })

#pragma once
// Drives a Beast synchronous operation (read_header, read_some, write on a
// serializer) over a socket in non-blocking mode: the operation runs at once,
// in the calling coroutine, and only when the socket reports would_block does
// the coroutine wait for readiness and try again.
//
// Why not Beast's async_* functions: Asio (Boost 1.81) never completes an
// operation inline; every completion, even of a read whose data is already
// there, is posted to the scheduler, and every trip through the scheduler
// polls epoll. A proxied request took ~7 epoll_wait calls that way (strace),
// now 2: one for the client's request, one for Ollama's answer (nginx does
// the same). Beast's parsers and serializers keep their state across a
// would_block, so an operation is simply called again; the data never is.
//
// Precondition: socket.non_blocking(true). Single-threaded use.
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/error.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/error.hpp>

namespace stackd::exporter {

// `attempt(ec)` is retried after each would_block; returns its final error
// (success included) or the wait's error (operation_aborted when the socket
// was closed by the ConnectionWatchdog meanwhile).
template <class Attempt>
boost::asio::awaitable<boost::beast::error_code> drive(boost::asio::ip::tcp::socket& socket,
                                                       boost::asio::ip::tcp::socket::wait_type wait, Attempt attempt) {
  for (;;) {
    boost::beast::error_code ec;
    attempt(ec);
    if (ec != boost::asio::error::would_block && ec != boost::asio::error::try_again) co_return ec;
    auto [wait_ec] = co_await socket.async_wait(wait, boost::asio::as_tuple(boost::asio::use_awaitable));
    if (wait_ec) co_return wait_ec;
  }
}

}  // namespace stackd::exporter

#include "exporter/connection_watchdog.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <sys/socket.h>

#include <cerrno>

namespace stackd::exporter {

namespace net = boost::asio;

void WatchedConnection::expect_client(std::chrono::milliseconds timeout) {
  upstream_ = nullptr;
  watch_client_left_ = false;
  deadline_ = Clock::now() + timeout;
}

void WatchedConnection::expect_upstream(net::ip::tcp::socket& upstream, std::chrono::milliseconds timeout,
                                        bool watch_client_left) {
  upstream_ = &upstream;
  watch_client_left_ = watch_client_left;
  deadline_ = Clock::now() + timeout;
}

void WatchedConnection::clear() {
  upstream_ = nullptr;
  watch_client_left_ = false;
  deadline_ = Clock::time_point::max();
}

void WatchedConnection::check(Clock::time_point now) {
  boost::system::error_code ignored;
  if (now >= deadline_) {
    timed_out_ = true;
    (upstream_ ? *upstream_ : client_).close(ignored);
    clear();
    return;
  }
  if (watch_client_left_ && upstream_ && client_.is_open()) {
    // Readable with 0 bytes (or an error) is a close; pipelined bytes of a
    // next request are not.
    char byte;
    auto n = ::recv(client_.native_handle(), &byte, 1, MSG_PEEK | MSG_DONTWAIT);
    if (n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)) {
      client_left_ = true;
      upstream_->close(ignored);
      clear();
    }
  }
}

void ConnectionWatchdog::check_all(WatchedConnection::Clock::time_point now) {
  for (auto& c : list_) c.check(now);
}

net::awaitable<void> ConnectionWatchdog::run() {
  while (!stopped_) {
    timer_.expires_after(tick_);
    // as_tuple: a cancelled wait is stop(), seen on the next line, not an error.
    co_await timer_.async_wait(net::as_tuple(net::use_awaitable));
    if (stopped_) break;
    check_all(WatchedConnection::Clock::now());
  }
}

void ConnectionWatchdog::stop() {
  stopped_ = true;
  timer_.cancel();
}

}  // namespace stackd::exporter

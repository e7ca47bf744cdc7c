#include "exporter/upstream_pool.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/tcp_stream.hpp>

#include <sys/socket.h>

namespace stackd::exporter {

namespace net = boost::asio;
using tcp = net::ip::tcp;

namespace {

constexpr auto kMaxIdleAge = std::chrono::seconds(60);

// An idle keep-alive connection the server has closed reads as EOF at once;
// peeking without blocking tells a live connection from a dead one before we
// write a request into it (which could not be retried once the body streamed).
bool still_open(UpstreamConnection& c) {
  if (c.buffer.size() > 0) return false;  // unexpected bytes from the server: do not reuse
  char byte;
  auto fd = c.socket.native_handle();
  auto n = ::recv(fd, &byte, 1, MSG_PEEK | MSG_DONTWAIT);
  return n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK);
}

}  // namespace

net::awaitable<std::unique_ptr<UpstreamConnection>> UpstreamPool::acquire(bool fresh) {
  auto now = std::chrono::steady_clock::now();
  while (!fresh && !idle_.empty()) {
    auto c = std::move(idle_.back());  // most recently used first: warmest connection
    idle_.pop_back();
    if (now - c->idle_since < kMaxIdleAge && still_open(*c)) {
      c->reused = true;
      co_return c;
    }
  }
  tcp::resolver resolver(ex_);
  auto results = co_await resolver.async_resolve(host_, std::to_string(port_), net::use_awaitable);
  boost::beast::tcp_stream s(ex_);
  s.expires_after(std::chrono::seconds(10));
  co_await s.async_connect(results, net::use_awaitable);
  s.expires_never();
  s.socket().set_option(tcp::no_delay(true));
  s.socket().non_blocking(true);  // driven by nonblocking_io.hpp
  co_return std::make_unique<UpstreamConnection>(s.release_socket());
}

void UpstreamPool::release(std::unique_ptr<UpstreamConnection> c) {
  if (idle_.size() >= max_idle_) return;
  c->idle_since = std::chrono::steady_clock::now();
  idle_.push_back(std::move(c));
}

}  // namespace stackd::exporter

#pragma once
// The exporter's listener: accepts client connections for the proxy, at
// most max_connections at a time (beyond that, new clients wait in the
// kernel's listen queue until a connection ends, as Go's
// netutil.LimitListener does), and backs off when accept() fails for lack of
// descriptors (common/accept_backoff.hpp) instead of spinning. A connection
// that ends wakes the loop at once, so a waiting client is accepted as soon
// as a descriptor is free.
#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>

#include <cstddef>

#include "exporter/proxy.hpp"

namespace stackd::exporter {

class AcceptLoop {
 public:
  AcceptLoop(boost::asio::ip::tcp::acceptor& acceptor, Proxy& proxy, std::size_t max_connections);

  // Runs until the acceptor is closed (then call stop() to end a wait).
  boost::asio::awaitable<void> run();
  void stop();

 private:
  boost::asio::ip::tcp::acceptor& acceptor_;
  Proxy& proxy_;
  std::size_t max_connections_;
  boost::asio::steady_timer wake_;  // a backoff sleep or a wait for a free slot
  bool stopped_ = false;
};

// The default cap: half the descriptors the process may open (a proxied
// client holds two: its own and one to Ollama), less a reserve for the
// listener, the poller and logs; within [16, 4096].
std::size_t default_max_connections();

}  // namespace stackd::exporter

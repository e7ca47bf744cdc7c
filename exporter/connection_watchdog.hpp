#pragma once
// Coarse deadlines for the proxy's connections, checked by one ticking timer
// instead of a timer armed and cancelled around every read and write: a
// proxied request does several reads and writes, and arming a timer for each
// costs more than the rest of the proxy's bookkeeping (it was a large part of
// the CPU profile). Timeouts here are seconds to minutes, so a tick of
// 100 ms is precise enough.
//
// The same tick notices a client that left while its request waits for
// Ollama's first byte (queued, loading the model, evaluating the prompt): it
// peeks at the client sockets of the connections that ask for it and closes
// their upstream socket, which aborts the wait and makes Ollama cancel the
// request.
//
// Single-threaded: add, remove and the tick run on one io_context.
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/intrusive/list.hpp>

#include <chrono>

namespace stackd::exporter {

class ConnectionWatchdog;

// One per client connection, owned by the connection's coroutine; it leaves
// the watchdog's list when destroyed.
class WatchedConnection
    : public boost::intrusive::list_base_hook<boost::intrusive::link_mode<boost::intrusive::auto_unlink>> {
 public:
  using Clock = std::chrono::steady_clock;
  explicit WatchedConnection(boost::asio::ip::tcp::socket& client) : client_(client) {}

  // The client must send (or accept) something within `timeout`; else its
  // socket is closed and timed_out() is true.
  void expect_client(std::chrono::milliseconds timeout);
  // Ollama must answer (or accept) something on `upstream` within `timeout`;
  // else the upstream socket is closed and timed_out() is true. With
  // watch_client_left, a client that closes meanwhile makes the watchdog
  // close the upstream socket and client_left() true.
  void expect_upstream(boost::asio::ip::tcp::socket& upstream, std::chrono::milliseconds timeout,
                       bool watch_client_left = false);
  // No deadline (between steps that do no I/O).
  void clear();

  bool timed_out() const { return timed_out_; }
  bool client_left() const { return client_left_; }

 private:
  friend class ConnectionWatchdog;
  void check(Clock::time_point now);

  boost::asio::ip::tcp::socket& client_;
  boost::asio::ip::tcp::socket* upstream_ = nullptr;  // closed at the deadline when set
  Clock::time_point deadline_ = Clock::time_point::max();
  bool watch_client_left_ = false;
  bool timed_out_ = false;
  bool client_left_ = false;
};

class ConnectionWatchdog {
 public:
  ConnectionWatchdog(boost::asio::any_io_executor ex, std::chrono::milliseconds tick = std::chrono::milliseconds(100))
      : timer_(std::move(ex)), tick_(tick) {}

  void add(WatchedConnection& c) { list_.push_back(c); }
  // Ticks until stop().
  boost::asio::awaitable<void> run();
  void stop();
  // One check of every connection at `now` (the tick; public for tests).
  void check_all(WatchedConnection::Clock::time_point now);

 private:
  using List = boost::intrusive::list<WatchedConnection, boost::intrusive::constant_time_size<false>>;
  List list_;
  boost::asio::steady_timer timer_;
  std::chrono::milliseconds tick_;
  bool stopped_ = false;
};

}  // namespace stackd::exporter

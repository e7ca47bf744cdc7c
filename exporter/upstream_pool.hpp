#pragma once
// Keep-alive connections to Ollama, reused across client requests so a
// proxied request does not pay a TCP handshake. Single-threaded (one
// io_context). A connection is returned only after a complete exchange;
// one that broke or that the client abandoned is dropped, which is also how
// Ollama learns that a client went away (it cancels the generation).
#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/flat_buffer.hpp>

#include <chrono>
#include <deque>
#include <memory>
#include <string>

namespace stackd::exporter {

// Deadlines on these sockets are kept by the proxy's ConnectionWatchdog.
struct UpstreamConnection {
  explicit UpstreamConnection(boost::asio::ip::tcp::socket s) : socket(std::move(s)) {}
  boost::asio::ip::tcp::socket socket;
  boost::beast::flat_buffer buffer;
  std::chrono::steady_clock::time_point idle_since;
  bool reused = false;  // taken from the pool (it served a request before)
};

class UpstreamPool {
 public:
  UpstreamPool(boost::asio::any_io_executor ex, std::string host, std::uint16_t port, std::size_t max_idle = 256)
      : ex_(std::move(ex)), host_(std::move(host)), port_(port), max_idle_(max_idle) {}

  // A live idle connection (unless fresh), or a new one (connect timeout
  // 10 s). Throws boost::system::system_error when Ollama cannot be reached.
  boost::asio::awaitable<std::unique_ptr<UpstreamConnection>> acquire(bool fresh = false);
  void release(std::unique_ptr<UpstreamConnection> c);
  std::size_t idle() const { return idle_.size(); }

 private:
  boost::asio::any_io_executor ex_;
  std::string host_;
  std::uint16_t port_;
  std::size_t max_idle_;
  std::deque<std::unique_ptr<UpstreamConnection>> idle_;
};

}  // namespace stackd::exporter

#pragma once
// HTTP front of the Grafana fake: one coroutine per connection (Boost.Beast's
// async awaitable server pattern), keep-alive, bounded requests, Basic auth or
// a Bearer token like Grafana's, routing to Store, and persistence of the
// state into the data directory a moment after each change (and at shutdown),
// so the fake survives a restart like Grafana's grafana.db does.
#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <string>

#include "tests/fakes/grafana/fake_grafana_store.hpp"

namespace stackd::fakes::grafana {

namespace net = boost::asio;

struct ServerOptions {
  std::string address = "0.0.0.0";  // GF_SERVER_HTTP_ADDR ("" = all interfaces)
  std::uint16_t port = 3000;         // GF_SERVER_HTTP_PORT (0 = any free port, printed at start)
  std::filesystem::path data_dir;    // GF_PATHS_DATA; empty = memory only
  std::string api_token;             // a service-account token accepted as Bearer
  bool basic_auth_enabled = true;    // GF_AUTH_BASIC_ENABLED
  std::size_t max_body = 16 * 1024 * 1024;
  // Fake-only: every request that changes state waits this long before it is
  // handled, so that a test can act while a sync is under way.
  std::chrono::milliseconds write_delay{0};
};

struct HttpReply {
  unsigned status = 200;
  std::string body;
};

class Server {
 public:
  Server(net::io_context& io, Store& store, ServerOptions options);
  std::uint16_t port() const { return port_; }
  void start();
  // Graceful stop: no new connections, state written out.
  void stop();
  void persist();

  // Authenticates and routes one request (exposed for tests).
  HttpReply handle(const std::string& method, const std::string& target, const std::string& authorization,
                   const std::string& body);

 private:
  net::awaitable<void> accept_loop();
  net::awaitable<void> session(net::ip::tcp::socket socket);
  void schedule_persist();

  net::io_context& io_;
  Store& store_;
  ServerOptions options_;
  net::ip::tcp::acceptor acceptor_;
  net::steady_timer persist_timer_;
  bool persist_pending_ = false;
  std::uint64_t persisted_generation_ = 0;
  std::uint16_t port_ = 0;
};

// Reads the state file of a data directory into the store, if there is one.
void load_state(Store& store, const std::filesystem::path& data_dir);

}  // namespace stackd::fakes::grafana

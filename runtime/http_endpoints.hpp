#pragma once
// The daemon's HTTP surface: /healthz, /readyz, /status, /metrics.
//
// Beast server in the style of the server-flex-awaitable example: one
// coroutine per connection on the daemon's io_context, every read bounded
// (header and body limits, a deadline per request), a connection cap, and a
// graceful stop() that closes the listener and idle connections at once and
// lets a response being written finish. Binds 127.0.0.1 unless told
// otherwise: the endpoints are for the local Prometheus and `stackd status`.
//
// The endpoint logic (respond()) is I/O-free and unit-tested directly; the
// server only moves bytes. What the endpoints report comes from callbacks,
// so this file knows nothing of the manager, the Docker client or the
// metrics registry (pass `[&registry] { return registry.expose(); }`).
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>
#include <nlohmann/json.hpp>

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "runtime/clock.hpp"
#include "runtime/heartbeat.hpp"

namespace stackd::runtime {

struct HttpEndpointsConfig {
  std::string address = "127.0.0.1";
  std::uint16_t port = 9321;  // 0 picks a free port (tests)
  // Bounds on what a client may send: these endpoints take no bodies.
  std::uint32_t max_header_bytes = 8 * 1024;
  std::uint64_t max_body_bytes = 4 * 1024;
  // Deadline for reading one request, idle keep-alive wait included, and for
  // writing its response. Also bounds how long stop() waits for a slow peer.
  std::chrono::milliseconds request_timeout{std::chrono::seconds(10)};
  std::size_t max_connections = 32;
};

// A named probe check: nullopt when fine, else why not (no secrets).
struct ProbeCheck {
  std::string name;
  std::function<std::optional<std::string>()> check;
};

// "loop": fails when the heartbeat is older than max_age.
ProbeCheck heartbeat_check(const Heartbeat& heartbeat, Duration max_age);
// A check that passes while flag() is true, failing with `why` otherwise.
ProbeCheck flag_check(std::string name, std::function<bool()> flag, std::string why);

struct EndpointHandlers {
  std::vector<ProbeCheck> liveness;   // /healthz
  std::vector<ProbeCheck> readiness;  // /readyz
  std::function<nlohmann::json()> status;  // /status (404 when unset)
  std::function<std::string()> metrics;    // /metrics, exposition format 0.0.4 (404 when unset)
};

namespace beast_http = boost::beast::http;
using HttpRequest = beast_http::request<beast_http::string_body>;
using HttpResponse = beast_http::response<beast_http::string_body>;

class HttpEndpoints {
 public:
  HttpEndpoints(net::any_io_executor executor, HttpEndpointsConfig config, EndpointHandlers handlers);
  // Must be destroyed after stop() and after the io_context ran the
  // connection coroutines to their end (or stopped running).
  ~HttpEndpoints();
  HttpEndpoints(const HttpEndpoints&) = delete;
  HttpEndpoints& operator=(const HttpEndpoints&) = delete;

  // Binds and listens now (so a taken port is reported at startup, as a
  // std::system_error naming the address), then accepts on the io_context.
  void start();
  // Stops accepting, closes idle connections, lets responses in flight finish.
  void stop();
  net::ip::tcp::endpoint local_endpoint() const;
  std::size_t open_connections() const { return connections_.size(); }

  // The endpoint logic, without I/O.
  HttpResponse respond(const HttpRequest& request) const;

 private:
  struct Connection;
  net::awaitable<void> accept_loop();
  net::awaitable<void> serve(std::shared_ptr<Connection> connection);
  net::any_io_executor executor_;
  HttpEndpointsConfig config_;
  EndpointHandlers handlers_;
  net::ip::tcp::acceptor acceptor_;
  std::map<std::uint64_t, std::shared_ptr<Connection>> connections_;
  std::uint64_t next_id_ = 0;
  bool stopping_ = false;
};

}  // namespace stackd::runtime

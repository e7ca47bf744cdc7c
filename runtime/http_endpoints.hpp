#pragma once
// The daemon's HTTP surface: /healthz, /readyz, /status, /metrics, plus
// routes other parts register (EndpointHandlers::routes, e.g. the git
// source's POST /hooks/git).
//
// Beast server in the style of the server-flex-awaitable example: one
// coroutine per connection on the daemon's io_context, every read bounded
// (header and body limits, an idle deadline for the first byte of a request
// and a deadline for the rest of it), a connection cap, and a graceful stop()
// that closes the listener and idle connections at once and lets a response
// being written finish. Binds 127.0.0.1 unless told otherwise: the endpoints
// are for the local Prometheus, the liveness probe and `stackd status`.
//
// Hostile or careless clients must not blind the liveness probe: at the cap,
// a new connection evicts the connection that has waited longest for a
// request (idle keep-alive or a slow sender), so a probe that connects and
// asks at once is served whatever number of idle clients hold connections.
// accept() failing for lack of descriptors backs off (5 ms doubling to 1 s,
// common/accept_backoff.hpp) instead of spinning, and retries at once when one
// of these connections closes.
//
// The endpoint logic (respond()) is I/O-free and unit-tested directly; the
// server only moves bytes. What the endpoints report comes from callbacks,
// so this file knows nothing of the manager, the Docker client or the
// metrics registry (pass `[&registry] { return registry.expose(); }`).
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
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
#include <string_view>
#include <utility>
#include <vector>

#include "runtime/clock.hpp"
#include "runtime/heartbeat.hpp"

namespace stackd::runtime {

struct HttpEndpointsConfig {
  std::string address = "127.0.0.1";
  std::uint16_t port = 9321;  // 0 picks a free port (tests)
  // Bounds on what a client may send: the built-in endpoints take no
  // bodies; registered routes take up to max_route_body_bytes.
  std::uint32_t max_header_bytes = 8 * 1024;
  std::uint64_t max_body_bytes = 4 * 1024;
  std::uint64_t max_route_body_bytes = 1024 * 1024;
  // Longest wait for the first byte of a request (a new connection or an
  // idle keep-alive one).
  std::chrono::milliseconds idle_timeout{std::chrono::seconds(10)};
  // Deadline for reading the rest of a request once it started, and for
  // writing its response. Also bounds how long stop() waits for a slow peer.
  std::chrono::milliseconds request_timeout{std::chrono::seconds(10)};
  // Connections held at once; at the cap the one idle longest is closed to
  // make room (see above).
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

namespace beast_http = boost::beast::http;
using HttpRequest = beast_http::request<beast_http::string_body>;
using HttpResponse = beast_http::response<beast_http::string_body>;

// What a registered route answers. Keep secrets and internals out of body:
// it goes to whoever connected.
struct RouteResponse {
  unsigned status = 200;
  std::string content_type = "text/plain; charset=utf-8";
  std::string body;
};
// Gets the whole request: method, target (with the query), headers and the
// body, at most max_route_body_bytes (a larger one is refused with 413
// before the handler runs). Runs on the io_context: it must not block. An
// exception becomes a 500 without its text (the text is logged).
using RouteHandler = std::function<RouteResponse(const HttpRequest&)>;
// A route is a method and an exact path (no query).
using RouteKey = std::pair<beast_http::verb, std::string>;

struct EndpointHandlers {
  std::vector<ProbeCheck> liveness;   // /healthz
  std::vector<ProbeCheck> readiness;  // /readyz
  std::function<nlohmann::json()> status;  // /status (404 when unset)
  std::function<std::string()> metrics;    // /metrics, exposition format 0.0.4 (404 when unset)
  // More endpoints, e.g. {{verb::post, "/hooks/git"}, handler}. A path with
  // routes for other methods only answers 405 with Allow. The built-in paths
  // above cannot be overridden.
  std::map<RouteKey, RouteHandler> routes;
};

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
  // The body limit for a request with this method and target: routes take
  // larger bodies than the built-in endpoints.
  std::uint64_t body_limit(beast_http::verb method, std::string_view target) const;

 private:
  struct Connection;
  net::awaitable<void> accept_loop();
  net::awaitable<void> serve(std::shared_ptr<Connection> connection);
  // At the cap: closes the connection that has waited longest for a request;
  // false when there is none (all are writing responses).
  bool make_room();
  HttpResponse respond_route(const HttpRequest& request, std::string_view path) const;
  net::any_io_executor executor_;
  HttpEndpointsConfig config_;
  EndpointHandlers handlers_;
  net::ip::tcp::acceptor acceptor_;
  std::map<std::uint64_t, std::shared_ptr<Connection>> connections_;
  std::uint64_t next_id_ = 0;
  std::uint64_t activity_ = 0;  // orders connections by when they began waiting for a request
  std::unique_ptr<net::steady_timer> wake_;  // the accept loop's backoff sleep
  bool stopping_ = false;
};

}  // namespace stackd::runtime

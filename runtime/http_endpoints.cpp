#include "runtime/http_endpoints.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/write.hpp>
#include <spdlog/spdlog.h>

#include <limits>
#include <string_view>
#include <system_error>

#include "common/accept_backoff.hpp"

namespace stackd::runtime {

namespace beast = boost::beast;
using tcp = net::ip::tcp;

namespace {

HttpResponse make_response(const HttpRequest& request, beast_http::status status, std::string body,
                           std::string_view content_type = "text/plain; charset=utf-8") {
  HttpResponse res{status, request.version()};
  res.set(beast_http::field::server, "stackd");
  res.set(beast_http::field::content_type, content_type);
  res.set(beast_http::field::cache_control, "no-store");
  res.body() = std::move(body);
  res.prepare_payload();
  return res;
}

// controller-runtime's healthz format: "ok" when every check passes (the
// per-check list with ?verbose), else the list and a failure line.
std::pair<bool, std::string> run_checks(const std::vector<ProbeCheck>& checks, std::string_view endpoint,
                                        bool verbose) {
  bool ok = true;
  std::string list;
  for (const auto& c : checks) {
    std::optional<std::string> failure;
    try {
      failure = c.check ? c.check() : std::nullopt;
    } catch (const std::exception& e) {
      failure = std::string("check threw: ") + e.what();
    }
    if (failure) {
      ok = false;
      list += "[-]" + c.name + " failed: " + *failure + "\n";
    } else {
      list += "[+]" + c.name + " ok\n";
    }
  }
  if (ok && !verbose) return {true, "ok\n"};
  list += std::string(endpoint) + (ok ? " check passed\n" : " check failed\n");
  return {ok, list};
}

}  // namespace

ProbeCheck heartbeat_check(const Heartbeat& heartbeat, Duration max_age) {
  return ProbeCheck{"loop", [&heartbeat, max_age]() -> std::optional<std::string> {
                      if (heartbeat.fresh(max_age)) return std::nullopt;
                      const auto age = std::chrono::duration_cast<std::chrono::seconds>(heartbeat.age()).count();
                      return "event loop silent for " + std::to_string(age) + "s";
                    }};
}

ProbeCheck flag_check(std::string name, std::function<bool()> flag, std::string why) {
  return ProbeCheck{std::move(name), [flag = std::move(flag), why = std::move(why)]() -> std::optional<std::string> {
                      if (flag()) return std::nullopt;
                      return why;
                    }};
}

struct HttpEndpoints::Connection {
  explicit Connection(tcp::socket socket) : stream(std::move(socket)) {}
  beast::tcp_stream stream;
  bool busy = false;           // between a complete request and its written response
  std::uint64_t waiting_since = 0;  // HttpEndpoints::activity_ when it began waiting for a request
  bool evicted = false;
};

HttpEndpoints::HttpEndpoints(net::any_io_executor executor, HttpEndpointsConfig config, EndpointHandlers handlers)
    : executor_(executor), config_(std::move(config)), handlers_(std::move(handlers)), acceptor_(executor) {}

HttpEndpoints::~HttpEndpoints() {
  boost::system::error_code ignored;
  acceptor_.close(ignored);
}

void HttpEndpoints::start() {
  boost::system::error_code ec;
  const auto address = net::ip::make_address(config_.address, ec);
  if (ec) throw std::system_error(ec, "http endpoints: bad listen address '" + config_.address + "'");
  const tcp::endpoint endpoint(address, config_.port);
  const std::string where = config_.address + ":" + std::to_string(config_.port);
  acceptor_.open(endpoint.protocol(), ec);
  if (!ec) acceptor_.set_option(net::socket_base::reuse_address(true), ec);
  if (!ec) acceptor_.bind(endpoint, ec);
  if (!ec) acceptor_.listen(net::socket_base::max_listen_connections, ec);
  if (ec) throw std::system_error(ec, "http endpoints: cannot listen on " + where);
  stopping_ = false;
  net::co_spawn(executor_, accept_loop(), net::detached);
}

void HttpEndpoints::stop() {
  stopping_ = true;
  boost::system::error_code ignored;
  acceptor_.close(ignored);
  if (wake_) wake_->cancel();
  for (auto& [id, connection] : connections_) {
    // Idle ones (waiting for a request) close now; busy ones finish their
    // response and then see stopping_.
    if (!connection->busy) connection->stream.socket().close(ignored);
  }
}

tcp::endpoint HttpEndpoints::local_endpoint() const { return acceptor_.local_endpoint(); }

bool HttpEndpoints::make_room() {
  std::shared_ptr<Connection> idlest;
  std::size_t live = 0;
  for (auto& [id, c] : connections_) {
    if (c->evicted) continue;
    ++live;
    if (!c->busy && (!idlest || c->waiting_since < idlest->waiting_since)) idlest = c;
  }
  if (live < config_.max_connections) return true;
  if (!idlest) return false;  // every one is writing a response
  idlest->evicted = true;
  boost::system::error_code ignored;
  idlest->stream.socket().close(ignored);  // its coroutine ends and leaves connections_
  return true;
}

net::awaitable<void> HttpEndpoints::accept_loop() {
  AcceptBackoff backoff;
  wake_ = std::make_unique<net::steady_timer>(executor_);
  while (!stopping_) {
    auto [ec, socket] = co_await acceptor_.async_accept(net::as_tuple(net::use_awaitable));
    if (ec == net::error::operation_aborted || !acceptor_.is_open() || stopping_) co_return;
    if (ec) {
      // EMFILE and friends: the pending connection stays queued, so retrying
      // at once would spin. Keep serving the connections we have.
      auto d = backoff.failed(AcceptBackoff::Clock::now());
      if (d.log_failures)
        spdlog::warn("http endpoints: accept failed: {} ({} time(s) since the last report); retrying with backoff",
                     ec.message(), *d.log_failures);
      wake_->expires_after(d.delay);
      co_await wake_->async_wait(net::as_tuple(net::use_awaitable));  // cancelled when a connection closes
      continue;
    }
    backoff.succeeded();
    if (!make_room()) {
      boost::system::error_code ignored;
      socket.close(ignored);
      continue;
    }
    auto connection = std::make_shared<Connection>(std::move(socket));
    connection->waiting_since = activity_++;
    const std::uint64_t id = next_id_++;
    connections_.emplace(id, connection);
    net::co_spawn(executor_, serve(connection), [this, id](std::exception_ptr) {
      connections_.erase(id);
      if (wake_) wake_->cancel();  // a descriptor is free: an accept waiting out a backoff may succeed now
    });
  }
}

net::awaitable<void> HttpEndpoints::serve(std::shared_ptr<Connection> connection) {
  beast::flat_buffer buffer;
  constexpr auto use_tuple = net::as_tuple(net::use_awaitable);
  while (!stopping_) {
    beast_http::request_parser<beast_http::string_body> parser;
    parser.header_limit(config_.max_header_bytes);
    parser.body_limit(std::numeric_limits<std::uint64_t>::max());  // set from the route once the header is read
    connection->busy = false;
    connection->waiting_since = activity_++;
    // The first byte within idle_timeout (unless pipelined bytes are here),
    // then the whole request within request_timeout.
    if (buffer.size() == 0) {
      connection->stream.expires_after(config_.idle_timeout);
      auto [idle_error, n] = co_await connection->stream.async_read_some(buffer.prepare(1024), use_tuple);
      if (idle_error) break;
      buffer.commit(n);
    }
    connection->stream.expires_after(config_.request_timeout);
    auto [read_error, read_bytes] = co_await beast_http::async_read_header(connection->stream, buffer, parser, use_tuple);
    if (!read_error) {
      const auto& header = parser.get();
      const std::uint64_t limit = body_limit(header.method(), header.target());
      // Beast checks Content-Length against the limit only while parsing the
      // header, so a declared length is checked here; the limit set now
      // bounds a chunked body.
      parser.body_limit(limit);
      if (parser.content_length() && *parser.content_length() > limit) read_error = beast_http::error::body_limit;
    }
    if (!read_error) {
      if (!parser.is_done()) {
        auto [body_error, body_bytes] = co_await beast_http::async_read(connection->stream, buffer, parser, use_tuple);
        read_error = body_error;
      }
    }
    if (read_error) {
      // Too large: say so once, then close. Anything else (timeout, reset,
      // end of stream, stop()): just close.
      if (read_error == beast_http::error::body_limit || read_error == beast_http::error::header_limit) {
        HttpRequest dummy;
        HttpResponse res = make_response(dummy, read_error == beast_http::error::body_limit
                                                    ? beast_http::status::payload_too_large
                                                    : beast_http::status::request_header_fields_too_large,
                                         "request too large\n");
        res.keep_alive(false);
        connection->busy = true;
        co_await beast_http::async_write(connection->stream, res, net::as_tuple(net::use_awaitable));
      }
      break;
    }
    connection->busy = true;
    const HttpRequest request = parser.release();
    HttpResponse res = respond(request);
    res.keep_alive(request.keep_alive() && !stopping_);
    connection->stream.expires_after(config_.request_timeout);
    auto [write_error, written] = co_await beast_http::async_write(connection->stream, res,
                                                                    net::as_tuple(net::use_awaitable));
    if (write_error || !res.keep_alive()) break;
  }
  boost::system::error_code ignored;
  connection->stream.socket().shutdown(tcp::socket::shutdown_send, ignored);
  connection->stream.socket().close(ignored);
}

namespace {
bool is_builtin_path(std::string_view path) {
  return path == "/healthz" || path == "/readyz" || path == "/status" || path == "/metrics";
}

std::string_view path_of(std::string_view target) { return target.substr(0, target.find('?')); }
}  // namespace

std::uint64_t HttpEndpoints::body_limit(beast_http::verb method, std::string_view target) const {
  const std::string_view path = path_of(target);
  if (is_builtin_path(path)) return config_.max_body_bytes;
  return handlers_.routes.count(RouteKey{method, std::string(path)}) ? config_.max_route_body_bytes
                                                                     : config_.max_body_bytes;
}

HttpResponse HttpEndpoints::respond_route(const HttpRequest& request, std::string_view path) const {
  using beast_http::status;
  auto it = is_builtin_path(path) ? handlers_.routes.end()
                                  : handlers_.routes.find(RouteKey{request.method(), std::string(path)});
  if (it == handlers_.routes.end()) {
    std::string allow;
    for (const auto& [key, handler] : handlers_.routes)
      if (key.second == path) allow += (allow.empty() ? "" : ", ") + std::string(beast_http::to_string(key.first));
    if (allow.empty()) return make_response(request, status::not_found, "not found\n");
    HttpResponse res = make_response(request, status::method_not_allowed, "method not allowed\n");
    res.set(beast_http::field::allow, allow);
    return res;
  }
  try {
    RouteResponse answer = it->second(request);
    return make_response(request, static_cast<status>(answer.status), std::move(answer.body), answer.content_type);
  } catch (const std::exception& e) {
    spdlog::error("http endpoints: {} {} failed: {}", std::string(beast_http::to_string(request.method())), path,
                  e.what());
    return make_response(request, status::internal_server_error, "internal error\n");
  }
}

HttpResponse HttpEndpoints::respond(const HttpRequest& request) const {
  using beast_http::status;
  std::string_view target = request.target();
  std::string_view query;
  if (auto q = target.find('?'); q != std::string_view::npos) {
    query = target.substr(q + 1);
    target = target.substr(0, q);
  }
  const bool known = target == "/healthz" || target == "/readyz" || (target == "/status" && handlers_.status) ||
                     (target == "/metrics" && handlers_.metrics);
  if (!known) return respond_route(request, target);
  if (request.method() != beast_http::verb::get) {
    HttpResponse res = make_response(request, status::method_not_allowed, "method not allowed\n");
    res.set(beast_http::field::allow, "GET");
    return res;
  }
  try {
    if (target == "/healthz" || target == "/readyz") {
      const bool verbose = query.find("verbose") != std::string_view::npos;
      auto [ok, body] = run_checks(target == "/healthz" ? handlers_.liveness : handlers_.readiness,
                                   target.substr(1), verbose);
      return make_response(request, ok ? status::ok : status::service_unavailable, std::move(body));
    }
    if (target == "/status") {
      return make_response(request, status::ok,
                           handlers_.status().dump(2, ' ', false, nlohmann::json::error_handler_t::replace) + "\n",
                           "application/json");
    }
    return make_response(request, status::ok, handlers_.metrics(), "text/plain; version=0.0.4; charset=utf-8");
  } catch (const std::exception& e) {
    // The text may name internals; it goes to the log, not to the client.
    spdlog::error("http endpoints: {} failed: {}", target, e.what());
    return make_response(request, status::internal_server_error, "internal error\n");
  }
}

}  // namespace stackd::runtime

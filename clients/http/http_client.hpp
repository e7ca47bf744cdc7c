#pragma once
// HTTP/1.1 client over TCP or a unix socket, one coroutine per request.
//
// Every read is bounded: headers by Beast's header limit, bodies by
// Limits::max_body, streamed bodies by the caller's consumer. A broken or
// hostile peer can make a call fail, never make it allocate without limit or
// hang past its timeout. Keep-alive connections are reused; a stream always
// gets a connection of its own.
//
// GCC 12 pitfall (checked here): a braced aggregate temporary inside a co_await
// expression, `co_await c.send({.target = "/x"})`, is destroyed twice. Name the
// Request first: `Request req{...}; co_await c.send(req);`.
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/beast/http/verb.hpp>

#include <chrono>
#include <functional>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "clients/http/endpoint.hpp"

namespace stackd::http {

namespace net = boost::asio;
using Verb = boost::beast::http::verb;

struct Request {
  Verb method = Verb::get;
  std::string target;  // path and query, already encoded; Endpoint::base_path is prepended
  std::string body;
  std::string content_type;  // set when body is non-empty
  std::vector<std::pair<std::string, std::string>> headers;
  std::chrono::milliseconds timeout{std::chrono::seconds(30)};
};

struct Response {
  unsigned status = 0;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  // Case-insensitive header lookup; empty when absent.
  std::string header(std::string_view name) const;
};

struct Limits {
  std::size_t max_body = 64 * 1024 * 1024;
  std::uint32_t max_header = 64 * 1024;
};

// Transport-level failure (connect refused, timeout, malformed response,
// body too large). HTTP error statuses are not exceptions: callers decide.
class TransportError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Called with each piece of a streamed body as it arrives; return false to stop
// reading (the connection is then closed, which is how Docker streams end).
using BodyConsumer = std::function<bool(std::string_view)>;

class Client {
 public:
  Client(net::any_io_executor executor, Endpoint endpoint, Limits limits = {});
  ~Client();
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  const Endpoint& endpoint() const { return endpoint_; }

  net::awaitable<Response> send(const Request& request);

  // For endless or long bodies (events, pull progress, proxied streams). The
  // returned Response has status and headers; its body is empty when the
  // status is 2xx (the consumer got it), and holds an error body (bounded by
  // Limits::max_body) otherwise. idle_timeout bounds the gap between reads;
  // zero means no idle limit (the caller cancels).
  net::awaitable<Response> stream(const Request& request, BodyConsumer consumer,
                                  std::chrono::milliseconds idle_timeout);

  // Closes idle keep-alive connections.
  void close_idle();

 private:
  struct Pool;
  net::any_io_executor executor_;
  Endpoint endpoint_;
  Limits limits_;
  std::unique_ptr<Pool> pool_;
};

// Percent-encodes a query parameter value.
std::string url_encode(std::string_view value);

}  // namespace stackd::http

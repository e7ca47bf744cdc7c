#include "clients/http/http_client.hpp"

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/local/stream_protocol.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/as_tuple.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <cctype>
#include <deque>
#include <variant>

namespace stackd::http {

namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using tcp = net::ip::tcp;
using local = net::local::stream_protocol;
using TcpStream = beast::tcp_stream;
using UnixStream = beast::basic_stream<local, net::any_io_executor, beast::unlimited_rate_policy>;

namespace {

constexpr auto use_tuple = net::as_tuple(net::use_awaitable);

std::string lower(std::string_view s) {
  std::string out(s);
  for (auto& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// One connection: its stream and the read buffer that must outlive each read.
struct Connection {
  std::variant<TcpStream, UnixStream> stream;
  beast::flat_buffer buffer;
  explicit Connection(TcpStream s) : stream(std::move(s)) {}
  explicit Connection(UnixStream s) : stream(std::move(s)) {}
};

bhttp::request<bhttp::string_body> build(const Endpoint& ep, const Request& r) {
  bhttp::request<bhttp::string_body> req{r.method, ep.base_path + r.target, 11};
  req.set(bhttp::field::host, ep.host_header());
  req.set(bhttp::field::user_agent, "stackd/" STACKD_VERSION);
  for (const auto& [k, v] : r.headers) req.set(k, v);
  if (!r.body.empty() || r.method == Verb::post || r.method == Verb::put) {
    if (!r.content_type.empty()) req.set(bhttp::field::content_type, r.content_type);
    req.body() = r.body;
    req.prepare_payload();
  }
  return req;
}

template <class Fields>
void copy_headers(const Fields& fields, Response& out) {
  for (const auto& f : fields) out.headers.emplace_back(std::string(f.name_string()), std::string(f.value()));
}

std::string describe_error(const Endpoint& ep, const Request& r, std::string_view what, const beast::error_code& ec) {
  return std::string(what) + " " + std::string(bhttp::to_string(r.method)) + " " + ep.describe() + r.target + ": " +
         ec.message();
}

}  // namespace

struct Client::Pool {
  std::deque<std::unique_ptr<Connection>> idle;
};

std::string Response::header(std::string_view name) const {
  auto want = lower(name);
  for (const auto& [k, v] : headers)
    if (lower(k) == want) return v;
  return {};
}

Client::Client(net::any_io_executor executor, Endpoint endpoint, Limits limits)
    : executor_(std::move(executor)), endpoint_(std::move(endpoint)), limits_(limits), pool_(std::make_unique<Pool>()) {}

Client::~Client() = default;

void Client::close_idle() { pool_->idle.clear(); }

namespace {

net::awaitable<std::unique_ptr<Connection>> connect(net::any_io_executor ex, const Endpoint& ep, const Request& r,
                                                    std::chrono::milliseconds timeout) {
  if (ep.kind == Endpoint::Kind::Unix) {
    UnixStream s(ex);
    s.expires_after(timeout);
    auto [ec] = co_await s.async_connect(local::endpoint(ep.socket_path), use_tuple);
    if (ec) throw TransportError(describe_error(ep, r, "cannot connect for", ec));
    co_return std::make_unique<Connection>(std::move(s));
  }
  tcp::resolver resolver(ex);
  auto [rec, results] = co_await resolver.async_resolve(ep.host, std::to_string(ep.port), use_tuple);
  if (rec) throw TransportError(describe_error(ep, r, "cannot resolve host for", rec));
  TcpStream s(ex);
  s.expires_after(timeout);
  auto [ec, _] = co_await s.async_connect(results, use_tuple);
  if (ec) throw TransportError(describe_error(ep, r, "cannot connect for", ec));
  s.socket().set_option(tcp::no_delay(true));
  co_return std::make_unique<Connection>(std::move(s));
}

// Writes the request and reads the complete response on one connection.
// Returns the error code instead of throwing so the caller can retry a reused
// connection that the server had closed.
template <class Stream>
net::awaitable<beast::error_code> exchange(Stream& s, beast::flat_buffer& buffer,
                                           bhttp::request<bhttp::string_body>& req,
                                           bhttp::response_parser<bhttp::string_body>& parser,
                                           std::chrono::milliseconds timeout) {
  s.expires_after(timeout);
  auto [wec, wn] = co_await bhttp::async_write(s, req, use_tuple);
  if (wec) co_return wec;
  auto [rec, rn] = co_await bhttp::async_read(s, buffer, parser, use_tuple);
  co_return rec;
}

template <class Stream>
net::awaitable<beast::error_code> stream_exchange(Stream& s, beast::flat_buffer& buffer,
                                                  bhttp::request<bhttp::string_body>& req, const Limits& limits,
                                                  std::chrono::milliseconds connect_timeout,
                                                  std::chrono::milliseconds idle_timeout, const BodyConsumer& consumer,
                                                  Response& out) {
  s.expires_after(connect_timeout);
  auto [wec, wn] = co_await bhttp::async_write(s, req, use_tuple);
  if (wec) co_return wec;

  bhttp::response_parser<bhttp::buffer_body> parser;
  parser.header_limit(limits.max_header);
  parser.body_limit(boost::none);  // endless by design; the consumer bounds what it keeps
  auto [hec, hn] = co_await bhttp::async_read_header(s, buffer, parser, use_tuple);
  if (hec) co_return hec;
  out.status = parser.get().result_int();
  copy_headers(parser.get(), out);
  bool ok_status = out.status >= 200 && out.status < 300;

  char chunk[16 * 1024];
  bool keep_going = true;
  while (!parser.is_done()) {
    parser.get().body().data = chunk;
    parser.get().body().size = sizeof(chunk);
    if (idle_timeout.count() > 0) s.expires_after(idle_timeout);
    else s.expires_never();
    // read_some: hand over what arrived now; async_read would wait to fill the chunk.
    auto [ec, n] = co_await bhttp::async_read_some(s, buffer, parser, use_tuple);
    std::size_t got = sizeof(chunk) - parser.get().body().size;
    if (got > 0) {
      std::string_view piece(chunk, got);
      if (ok_status) keep_going = consumer(piece);
      else if (out.body.size() + got <= limits.max_body) out.body.append(piece);
      else co_return bhttp::error::body_limit;
    }
    if (ec == bhttp::error::need_buffer) ec = {};
    if (ec) co_return ec;
    if (!keep_going) break;
  }
  co_return beast::error_code{};
}

}  // namespace

net::awaitable<Response> Client::send(const Request& r) {
  auto req = build(endpoint_, r);
  // A pooled connection may have been closed by the server in between; if the
  // failure happens before any response byte, retry once on a fresh one.
  for (int attempt = 0; attempt < 2; ++attempt) {
    std::unique_ptr<Connection> conn;
    bool reused = false;
    // A request that must not run twice (a POST creating a container or an
    // exec) never goes over a pooled connection: if the server had closed it,
    // we could not tell whether the request was seen, so a retry could repeat it.
    bool idempotent = r.method == Verb::get || r.method == Verb::head || r.method == Verb::delete_;
    if (idempotent && !pool_->idle.empty()) {
      conn = std::move(pool_->idle.front());
      pool_->idle.pop_front();
      reused = true;
    } else {
      conn = co_await connect(executor_, endpoint_, r, r.timeout);
    }
    bhttp::response_parser<bhttp::string_body> parser;
    parser.header_limit(limits_.max_header);
    parser.body_limit(limits_.max_body);
    // A HEAD answer announces a body it never sends.
    if (r.method == Verb::head) parser.skip(true);
    beast::error_code ec = co_await std::visit(
        [&](auto& s) { return exchange(s, conn->buffer, req, parser, r.timeout); }, conn->stream);
    bool nothing_read = !parser.got_some();
    if (ec && reused && nothing_read &&
        (ec == net::error::eof || ec == bhttp::error::end_of_stream || ec == net::error::connection_reset ||
         ec == net::error::broken_pipe))
      continue;
    if (ec == bhttp::error::body_limit)
      throw TransportError(describe_error(endpoint_, r, "response body over " + std::to_string(limits_.max_body) +
                                                            " bytes from", ec));
    if (ec == beast::error::timeout)
      throw TransportError(describe_error(endpoint_, r, "timed out waiting for", ec));
    if (ec) throw TransportError(describe_error(endpoint_, r, "failed", ec));

    auto msg = parser.release();
    Response out;
    out.status = msg.result_int();
    copy_headers(msg, out);
    out.body = std::move(msg.body());
    if (msg.keep_alive() && pool_->idle.size() < 4) {
      std::visit([](auto& s) { s.expires_never(); }, conn->stream);
      pool_->idle.push_back(std::move(conn));
    }
    co_return out;
  }
  throw TransportError("connection to " + endpoint_.describe() + " closed repeatedly");
}

net::awaitable<Response> Client::stream(const Request& r, BodyConsumer consumer, std::chrono::milliseconds idle_timeout) {
  auto req = build(endpoint_, r);
  auto conn = co_await connect(executor_, endpoint_, r, r.timeout);
  Response out;
  beast::error_code ec = co_await std::visit(
      [&](auto& s) {
        return stream_exchange(s, conn->buffer, req, limits_, r.timeout, idle_timeout, consumer, out);
      },
      conn->stream);
  if (ec == beast::error::timeout) throw TransportError(describe_error(endpoint_, r, "stream idle too long:", ec));
  if (ec) throw TransportError(describe_error(endpoint_, r, "stream broken:", ec));
  co_return out;  // the connection closes here: streams are never reused
}

std::string url_encode(std::string_view value) {
  static const char* hex = "0123456789ABCDEF";
  std::string out;
  out.reserve(value.size() * 3);
  for (unsigned char c : value) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') out.push_back(static_cast<char>(c));
    else {
      out.push_back('%');
      out.push_back(hex[c >> 4]);
      out.push_back(hex[c & 15]);
    }
  }
  return out;
}

}  // namespace stackd::http

// Exercises the client against a real socket server that misbehaves in the
// ways Docker, Grafana or a broken peer can: chunked bodies split anywhere,
// oversized bodies, silence.
#include "clients/http/http_client.hpp"

#include <boost/asio.hpp>
#include <gtest/gtest.h>

#include <filesystem>
#include <thread>

namespace net = boost::asio;
using local = net::local::stream_protocol;
using namespace stackd::http;

namespace {

// Serves one canned raw response per connection, then closes.
class RawServer {
 public:
  explicit RawServer(std::string response)
      : path_(std::filesystem::temp_directory_path() / ("stackd-http-" + std::to_string(::getpid()) + "-" +
                                                        std::to_string(counter_++) + ".sock")),
        response_(std::move(response)),
        acceptor_(io_, (std::filesystem::remove(path_), local::endpoint(path_.string()))) {
    thread_ = std::thread([this] {
      for (;;) {
        local::socket s(io_);
        boost::system::error_code ec;
        acceptor_.accept(s, ec);
        if (ec) return;
        char buf[4096];
        s.read_some(net::buffer(buf), ec);  // the request; small in these tests
        if (response_ == "SILENT") {
          std::this_thread::sleep_for(std::chrono::milliseconds(600));
          continue;
        }
        // '\x01' in a canned response is a pause: the peer is slow mid-body.
        std::size_t start = 0;
        for (std::size_t pause; (pause = response_.find('\x01', start)) != std::string::npos; start = pause + 1) {
          net::write(s, net::buffer(response_.data() + start, pause - start), ec);
          std::this_thread::sleep_for(std::chrono::milliseconds(300));
        }
        net::write(s, net::buffer(response_.data() + start, response_.size() - start), ec);
      }
    });
  }
  ~RawServer() {
    // shutdown() wakes the blocking accept() on Linux; close() alone does not.
    ::shutdown(acceptor_.native_handle(), SHUT_RDWR);
    thread_.join();
    boost::system::error_code ec;
    acceptor_.close(ec);
    std::filesystem::remove(path_);
  }
  Endpoint endpoint() const { return Endpoint::parse("unix://" + path_.string()); }

 private:
  static inline int counter_ = 0;
  std::filesystem::path path_;
  std::string response_;
  net::io_context io_;
  local::acceptor acceptor_;
  std::thread thread_;
};

template <class F>
auto run(F f) {
  net::io_context io;
  auto fut = net::co_spawn(io, f(io.get_executor()), net::use_future);
  io.run();
  return fut.get();
}

}  // namespace

TEST(HttpClient, ReadsContentLengthBody) {
  RawServer server("HTTP/1.1 200 OK\r\nContent-Length: 2\r\nApi-Version: 1.41\r\nConnection: close\r\n\r\nOK");
  auto resp = run([&](auto ex) -> net::awaitable<Response> {
    Client c(ex, server.endpoint());
    Request req{.target = "/_ping"};
    co_return co_await c.send(req);
  });
  EXPECT_EQ(resp.status, 200u);
  EXPECT_EQ(resp.body, "OK");
  EXPECT_EQ(resp.header("api-version"), "1.41");
}

TEST(HttpClient, ReadsChunkedBody) {
  RawServer server(
      "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
      "3\r\n[{\"\r\n6\r\nId\":1}\r\n1\r\n]\r\n0\r\n\r\n");
  auto resp = run([&](auto ex) -> net::awaitable<Response> {
    Client c(ex, server.endpoint());
    Request req{.target = "/containers/json"};
    co_return co_await c.send(req);
  });
  EXPECT_EQ(resp.body, "[{\"Id\":1}]");
}

TEST(HttpClient, RefusesBodyOverLimit) {
  std::string big(1000, 'x');
  RawServer server("HTTP/1.1 200 OK\r\nContent-Length: 1000\r\nConnection: close\r\n\r\n" + big);
  EXPECT_THROW(run([&](auto ex) -> net::awaitable<Response> {
                 Client c(ex, server.endpoint(), Limits{.max_body = 100});
                 Request req{.target = "/"};
                 co_return co_await c.send(req);
               }),
               TransportError);
}

TEST(HttpClient, RefusesChunkedBodyOverLimit) {
  std::string chunks;
  for (int i = 0; i < 50; ++i) chunks += "a\r\n0123456789\r\n";
  RawServer server("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n" + chunks + "0\r\n\r\n");
  EXPECT_THROW(run([&](auto ex) -> net::awaitable<Response> {
                 Client c(ex, server.endpoint(), Limits{.max_body = 100});
                 Request req{.target = "/"};
                 co_return co_await c.send(req);
               }),
               TransportError);
}

TEST(HttpClient, TimesOutOnSilentPeer) {
  RawServer server("SILENT");
  EXPECT_THROW(run([&](auto ex) -> net::awaitable<Response> {
                 Client c(ex, server.endpoint());
                 Request req{.target = "/", .timeout = std::chrono::milliseconds(200)};
                 co_return co_await c.send(req);
               }),
               TransportError);
}

TEST(HttpClient, StreamsChunksAsTheyArrive) {
  RawServer server(
      "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
      "4\r\n{\"a\"\r\n6\r\n:1}\n{\"\r\n6\r\nb\":2}\n\r\n0\r\n\r\n");
  std::string got;
  auto resp = run([&](auto ex) -> net::awaitable<Response> {
    Client c(ex, server.endpoint());
    Request req{.target = "/events"};
    co_return co_await c.stream(
        req,
        [&](std::string_view piece) {
          got.append(piece);
          return true;
        },
        std::chrono::seconds(5));
  });
  EXPECT_EQ(resp.status, 200u);
  EXPECT_EQ(got, "{\"a\":1}\n{\"b\":2}\n");
}

TEST(HttpClient, StreamHandsOverEachPieceWithoutWaitingForMore) {
  // An event stream sends one small line, then nothing for a while.
  RawServer server("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n8\r\n{\"a\":1}\n\r\n\x01"
                   "0\r\n\r\n");
  auto start = std::chrono::steady_clock::now();
  std::chrono::milliseconds first_piece_after{-1};
  run([&](auto ex) -> net::awaitable<Response> {
    Client c(ex, server.endpoint());
    Request req{.target = "/events"};
    co_return co_await c.stream(
        req,
        [&](std::string_view) {
          if (first_piece_after.count() < 0)
            first_piece_after = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - start);
          return true;
        },
        std::chrono::seconds(5));
  });
  EXPECT_GE(first_piece_after.count(), 0);
  EXPECT_LT(first_piece_after.count(), 250) << "the first line waited for the rest of the stream";
}

TEST(HttpClient, StreamErrorStatusKeepsBody) {
  RawServer server("HTTP/1.1 404 Not Found\r\nContent-Length: 25\r\nConnection: close\r\n\r\n{\"message\":\"no such x\"}\n\n");
  auto resp = run([&](auto ex) -> net::awaitable<Response> {
    Client c(ex, server.endpoint());
    Request req{.target = "/x"};
    co_return co_await c.stream(req, [](std::string_view) { return true; }, std::chrono::seconds(5));
  });
  EXPECT_EQ(resp.status, 404u);
  EXPECT_NE(resp.body.find("no such x"), std::string::npos);
}

TEST(HttpClient, UrlEncode) { EXPECT_EQ(url_encode("{\"label\":[\"a=b\"]}"), "%7B%22label%22%3A%5B%22a%3Db%22%5D%7D"); }

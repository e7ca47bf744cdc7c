#include "runtime/http_endpoints.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/write.hpp>
#include <gtest/gtest.h>

#include <future>
#include <thread>

#include "common/metrics/metrics.hpp"
#include "runtime/fake_clock.hpp"

namespace stackd::runtime {
namespace {

using namespace std::chrono_literals;
using tcp = net::ip::tcp;

HttpRequest get(std::string target, beast_http::verb verb = beast_http::verb::get) {
  HttpRequest req{verb, target, 11};
  req.set(beast_http::field::host, "127.0.0.1");
  return req;
}

struct EndpointsLogic : ::testing::Test {
  net::io_context io;
  FakeClock clock;
  Heartbeat heartbeat{clock};
  bool first_reconcile_done = false;
  bool docker_reachable = true;
  metrics::Registry registry;
  HttpEndpoints endpoints{io.get_executor(), {},
                          EndpointHandlers{
                              .liveness = {heartbeat_check(heartbeat, 30s)},
                              .readiness = {flag_check("reconciled", [this] { return first_reconcile_done; },
                                                       "first full reconcile not finished"),
                                            flag_check("docker", [this] { return docker_reachable; },
                                                       "Docker engine not reachable")},
                              .status = [] { return nlohmann::json{{"stack", "frontier-llm"}}; },
                              .metrics = [this] { return registry.expose(); },
                          }};
};

TEST_F(EndpointsLogic, HealthzFollowsTheHeartbeat) {
  auto res = endpoints.respond(get("/healthz"));
  EXPECT_EQ(res.result(), beast_http::status::ok);
  EXPECT_EQ(res.body(), "ok\n");
  clock.advance(31s);  // the loop stopped beating
  res = endpoints.respond(get("/healthz"));
  EXPECT_EQ(res.result(), beast_http::status::service_unavailable);
  EXPECT_NE(res.body().find("[-]loop failed: event loop silent for 31s"), std::string::npos) << res.body();
  heartbeat.beat();
  EXPECT_EQ(endpoints.respond(get("/healthz")).result(), beast_http::status::ok);
}

TEST_F(EndpointsLogic, HeartbeatRunEveryKeepsAnIdleLoopHealthy) {
  heartbeat.run_every(5s);
  clock.advance(10min);
  EXPECT_EQ(endpoints.respond(get("/healthz")).result(), beast_http::status::ok);
  heartbeat.stop();
  clock.advance(1min);
  EXPECT_EQ(endpoints.respond(get("/healthz")).result(), beast_http::status::service_unavailable);
}

TEST_F(EndpointsLogic, ReadyzNeedsFirstReconcileAndDocker) {
  auto res = endpoints.respond(get("/readyz"));
  EXPECT_EQ(res.result(), beast_http::status::service_unavailable);
  EXPECT_NE(res.body().find("[-]reconciled failed: first full reconcile not finished"), std::string::npos);
  EXPECT_NE(res.body().find("[+]docker ok"), std::string::npos);
  first_reconcile_done = true;
  EXPECT_EQ(endpoints.respond(get("/readyz")).result(), beast_http::status::ok);
  res = endpoints.respond(get("/readyz?verbose"));
  EXPECT_NE(res.body().find("[+]reconciled ok\n[+]docker ok\nreadyz check passed"), std::string::npos) << res.body();
  docker_reachable = false;
  EXPECT_EQ(endpoints.respond(get("/readyz")).result(), beast_http::status::service_unavailable);
}

TEST_F(EndpointsLogic, StatusIsJsonAndMetricsIsTheRegistryExposition) {
  auto res = endpoints.respond(get("/status"));
  EXPECT_EQ(res.result(), beast_http::status::ok);
  EXPECT_EQ(res[beast_http::field::content_type], "application/json");
  EXPECT_EQ(nlohmann::json::parse(res.body())["stack"], "frontier-llm");

  registry.counter("stackd_reconcile_total", "Reconciles.", {"reconciler", "result"})
      .with({"containers", "success"})
      .inc();
  res = endpoints.respond(get("/metrics"));
  EXPECT_EQ(res.result(), beast_http::status::ok);
  EXPECT_EQ(res[beast_http::field::content_type], "text/plain; version=0.0.4; charset=utf-8");
  EXPECT_NE(res.body().find("stackd_reconcile_total{reconciler=\"containers\",result=\"success\"} 1"),
            std::string::npos)
      << res.body();
}

TEST_F(EndpointsLogic, UnknownPathsAre404AndOtherMethods405) {
  EXPECT_EQ(endpoints.respond(get("/")).result(), beast_http::status::not_found);
  EXPECT_EQ(endpoints.respond(get("/statusx")).result(), beast_http::status::not_found);
  auto res = endpoints.respond(get("/status", beast_http::verb::post));
  EXPECT_EQ(res.result(), beast_http::status::method_not_allowed);
  EXPECT_EQ(res[beast_http::field::allow], "GET");
  EXPECT_EQ(endpoints.respond(get("/metrics", beast_http::verb::delete_)).result(),
            beast_http::status::method_not_allowed);
}

TEST_F(EndpointsLogic, AHandlerThatThrowsIs500WithoutItsText) {
  HttpEndpoints broken(io.get_executor(), {},
                       {.status = []() -> nlohmann::json { throw std::runtime_error("internal detail /var/lib/stackd"); }});
  auto res = broken.respond(get("/status"));
  EXPECT_EQ(res.result(), beast_http::status::internal_server_error);
  EXPECT_EQ(res.body().find("/var/lib/stackd"), std::string::npos);
}

// The real server on loopback, the io_context on its own thread.
struct EndpointsServer : ::testing::Test {
  net::io_context io;
  SystemClock clock{io.get_executor()};
  Heartbeat heartbeat{clock};
  std::unique_ptr<HttpEndpoints> server;
  std::thread thread;

  void start(HttpEndpointsConfig config) {
    config.port = 0;
    server = std::make_unique<HttpEndpoints>(
        io.get_executor(), config,
        EndpointHandlers{.liveness = {heartbeat_check(heartbeat, 30s)},
                         .status = [] { return nlohmann::json{{"stack", "s"}}; },
                         .metrics = [] { return std::string("up 1\n"); }});
    server->start();
    thread = std::thread([this] { io.run(); });
  }
  tcp::socket connect() {
    tcp::socket socket(client_io);
    socket.connect(tcp::endpoint(net::ip::make_address("127.0.0.1"), server->local_endpoint().port()));
    return socket;
  }
  HttpResponse roundtrip(tcp::socket& socket, const HttpRequest& req) {
    beast_http::write(socket, req);
    HttpResponse res;
    beast_http::read(socket, client_buffer, res);
    return res;
  }
  // Stops the server from its own thread and waits until io.run() returns:
  // that only happens when every connection coroutine has ended.
  void stop_and_join() {
    net::post(io, [this] { server->stop(); });
    thread.join();
  }
  void TearDown() override {
    if (thread.joinable()) stop_and_join();
  }
  net::io_context client_io;
  boost::beast::flat_buffer client_buffer;
};

TEST_F(EndpointsServer, ServesKeepAliveRequestsOnLoopback) {
  start({});
  EXPECT_EQ(server->local_endpoint().address().to_string(), "127.0.0.1");
  auto socket = connect();
  auto res = roundtrip(socket, get("/healthz"));
  EXPECT_EQ(res.result(), beast_http::status::ok);
  EXPECT_TRUE(res.keep_alive());
  res = roundtrip(socket, get("/metrics"));
  EXPECT_EQ(res.body(), "up 1\n");
  res = roundtrip(socket, get("/nope"));
  EXPECT_EQ(res.result(), beast_http::status::not_found);
}

TEST_F(EndpointsServer, OversizedRequestsAreRefusedAndClosed) {
  start({.max_header_bytes = 1024, .max_body_bytes = 16});
  auto socket = connect();
  HttpRequest big = get("/status");
  big.set("X-Padding", std::string(4096, 'x'));
  auto res = roundtrip(socket, big);
  EXPECT_EQ(res.result(), beast_http::status::request_header_fields_too_large);
  EXPECT_FALSE(res.keep_alive());

  auto socket2 = connect();
  HttpRequest body = get("/status", beast_http::verb::get);
  body.body() = std::string(1000, 'b');
  body.prepare_payload();
  res = roundtrip(socket2, body);
  EXPECT_EQ(res.result(), beast_http::status::payload_too_large);
}

TEST_F(EndpointsServer, ASlowClientIsCutOffAtTheRequestTimeout) {
  start({.request_timeout = 200ms});
  auto socket = connect();
  net::write(socket, net::buffer(std::string_view("GET /healthz HTTP/1.1\r\nHost: x\r\n")));  // never finishes
  const auto t0 = std::chrono::steady_clock::now();
  char byte;
  boost::system::error_code ec;
  net::read(socket, net::buffer(&byte, 1), ec);  // returns when the server closes
  EXPECT_TRUE(ec);
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 5s);
}

TEST_F(EndpointsServer, ConnectionsBeyondTheCapAreClosed) {
  start({.max_connections = 2});
  auto a = connect();
  auto b = connect();
  EXPECT_EQ(roundtrip(a, get("/healthz")).result(), beast_http::status::ok);
  EXPECT_EQ(roundtrip(b, get("/healthz")).result(), beast_http::status::ok);
  auto c = connect();
  beast_http::write(c, get("/healthz"));
  char byte;
  boost::system::error_code ec;
  net::read(c, net::buffer(&byte, 1), ec);
  EXPECT_TRUE(ec);  // closed without a response
}

TEST_F(EndpointsServer, StopClosesIdleConnectionsAndEndsEveryCoroutine) {
  start({});
  auto idle = connect();
  EXPECT_EQ(roundtrip(idle, get("/healthz")).result(), beast_http::status::ok);
  const auto t0 = std::chrono::steady_clock::now();
  stop_and_join();  // io.run() returned: no coroutine, timer or socket left
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 2s);
  EXPECT_EQ(server->open_connections(), 0u);
  char byte;
  boost::system::error_code ec;
  net::read(idle, net::buffer(&byte, 1), ec);
  EXPECT_TRUE(ec);
  tcp::socket refused(client_io);
  refused.connect(tcp::endpoint(net::ip::make_address("127.0.0.1"), 1), ec);  // port 1: nothing there
  EXPECT_TRUE(ec);
}

TEST(HttpEndpointsStart, ATakenPortIsReportedAtStart) {
  net::io_context io;
  HttpEndpoints first(io.get_executor(), {.port = 0}, {});
  first.start();
  HttpEndpoints second(io.get_executor(), {.port = first.local_endpoint().port()}, {});
  try {
    second.start();
    FAIL() << "second bind succeeded";
  } catch (const std::system_error& e) {
    EXPECT_NE(std::string(e.what()).find("cannot listen on 127.0.0.1:"), std::string::npos) << e.what();
  }
  first.stop();
  io.run();
}

}  // namespace
}  // namespace stackd::runtime

#include "runtime/http_endpoints.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/write.hpp>
#include <gtest/gtest.h>

#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <deque>
#include <filesystem>
#include <fstream>
#include <future>
#include <sstream>
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

TEST_F(EndpointsLogic, RegisteredRoutesGetTheWholeRequestAndAnswerWhatTheHandlerSays) {
  HttpRequest seen;
  HttpEndpoints with_routes(
      io.get_executor(), {},
      {.routes = {{{beast_http::verb::post, "/hooks/git"}, [&seen](const HttpRequest& r) {
                     seen = r;
                     return RouteResponse{.status = 202, .content_type = "application/json", .body = "{\"queued\":true}"};
                   }}}});
  HttpRequest push = get("/hooks/git?source=gitea", beast_http::verb::post);
  push.set("X-Hub-Signature-256", "sha256=abc");
  push.body() = R"({"ref":"refs/heads/main"})";
  push.prepare_payload();
  auto res = with_routes.respond(push);
  EXPECT_EQ(res.result_int(), 202u);
  EXPECT_EQ(res[beast_http::field::content_type], "application/json");
  EXPECT_EQ(res.body(), "{\"queued\":true}");
  EXPECT_EQ(seen.target(), "/hooks/git?source=gitea");
  EXPECT_EQ(seen["X-Hub-Signature-256"], "sha256=abc");
  EXPECT_EQ(seen.body(), R"({"ref":"refs/heads/main"})");

  res = with_routes.respond(get("/hooks/git"));  // GET of a POST-only route
  EXPECT_EQ(res.result(), beast_http::status::method_not_allowed);
  EXPECT_EQ(res[beast_http::field::allow], "POST");
  EXPECT_EQ(with_routes.respond(get("/hooks/other", beast_http::verb::post)).result(), beast_http::status::not_found);
  // Routes take larger bodies than the built-in endpoints, and only routes do.
  HttpEndpointsConfig defaults;
  EXPECT_EQ(with_routes.body_limit(beast_http::verb::post, "/hooks/git?x=1"), defaults.max_route_body_bytes);
  EXPECT_EQ(with_routes.body_limit(beast_http::verb::get, "/hooks/git"), defaults.max_body_bytes);
  EXPECT_EQ(with_routes.body_limit(beast_http::verb::post, "/status"), defaults.max_body_bytes);
}

TEST_F(EndpointsLogic, ARouteCannotReplaceABuiltInEndpointAndItsErrorsStayInTheLog) {
  HttpEndpoints with_routes(
      io.get_executor(), {},
      {.liveness = {},
       .routes = {{{beast_http::verb::get, "/healthz"}, [](const HttpRequest&) { return RouteResponse{.status = 500}; }},
                  {{beast_http::verb::post, "/hooks/git"}, [](const HttpRequest&) -> RouteResponse {
                     throw std::runtime_error("secret token abc123 rejected");
                   }}}});
  EXPECT_EQ(with_routes.respond(get("/healthz")).result(), beast_http::status::ok);
  auto res = with_routes.respond(get("/hooks/git", beast_http::verb::post));
  EXPECT_EQ(res.result(), beast_http::status::internal_server_error);
  EXPECT_EQ(res.body().find("abc123"), std::string::npos);
}

// The real server on loopback, the io_context on its own thread.
struct EndpointsServer : ::testing::Test {
  net::io_context io;
  SystemClock clock{io.get_executor()};
  Heartbeat heartbeat{clock};
  std::unique_ptr<HttpEndpoints> server;
  std::thread thread;
  std::map<RouteKey, RouteHandler> config_routes;

  void start(HttpEndpointsConfig config) {
    config.port = 0;
    server = std::make_unique<HttpEndpoints>(
        io.get_executor(), config,
        EndpointHandlers{.liveness = {heartbeat_check(heartbeat, 30s)},
                         .status = [] { return nlohmann::json{{"stack", "s"}}; },
                         .metrics = [] { return std::string("up 1\n"); },
                         .routes = config_routes});
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

TEST_F(EndpointsServer, AtTheCapTheIdlestConnectionMakesRoom) {
  start({.max_connections = 2});
  auto a = connect();
  auto b = connect();
  EXPECT_EQ(roundtrip(a, get("/healthz")).result(), beast_http::status::ok);
  EXPECT_EQ(roundtrip(b, get("/healthz")).result(), beast_http::status::ok);
  auto c = connect();  // a has waited longest for its next request: it goes
  EXPECT_EQ(roundtrip(c, get("/healthz")).result(), beast_http::status::ok);
  char byte;
  boost::system::error_code ec;
  net::read(a, net::buffer(&byte, 1), ec);
  EXPECT_TRUE(ec);  // closed without a response
  EXPECT_EQ(roundtrip(b, get("/healthz")).result(), beast_http::status::ok);
}

TEST_F(EndpointsServer, FortyIdleClientsDoNotBlindTheLivenessProbe) {
  start({});  // the default cap: 32 connections
  std::deque<tcp::socket> idle;
  for (int round = 0; round < 3; ++round) {
    for (int i = 0; i < 40; ++i) idle.push_back(connect());  // connect, never send
    auto probe = connect();
    auto res = roundtrip(probe, get("/healthz"));
    EXPECT_EQ(res.result(), beast_http::status::ok) << "round " << round;
    EXPECT_EQ(res.body(), "ok\n");
  }
  // The server holds at most its cap: the idlest were closed to make room.
  std::size_t open = 0;
  for (auto deadline = std::chrono::steady_clock::now() + 5s; std::chrono::steady_clock::now() < deadline;) {
    std::promise<std::size_t> p;
    net::post(io, [&] { p.set_value(server->open_connections()); });
    if ((open = p.get_future().get()) <= 32) break;
    std::this_thread::yield();
  }
  EXPECT_LE(open, 32u);
  char byte;
  boost::system::error_code ec;
  net::read(idle.front(), net::buffer(&byte, 1), ec);  // the first idle client was evicted long ago
  EXPECT_TRUE(ec);
}

TEST_F(EndpointsServer, AnIdleConnectionIsClosedAfterTheIdleTimeout) {
  start({.idle_timeout = 200ms});
  auto socket = connect();
  const auto t0 = std::chrono::steady_clock::now();
  char byte;
  boost::system::error_code ec;
  net::read(socket, net::buffer(&byte, 1), ec);  // returns when the server closes
  EXPECT_EQ(ec, net::error::eof);
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 5s);
}

TEST_F(EndpointsServer, RoutesTakeBodiesUpToTheirLimitOverTheWire) {
  std::size_t got = 0;
  config_routes = {{{beast_http::verb::post, "/hooks/git"}, [&got](const HttpRequest& r) {
                      got = r.body().size();
                      return RouteResponse{.status = 204};
                    }}};
  start({.max_route_body_bytes = 64 * 1024});
  auto socket = connect();
  HttpRequest push = get("/hooks/git", beast_http::verb::post);
  push.body() = std::string(50 * 1024, 'p');  // over the built-in 4 KiB, under the route's limit
  push.prepare_payload();
  EXPECT_EQ(roundtrip(socket, push).result(), beast_http::status::no_content);
  EXPECT_EQ(got, 50u * 1024);
  auto socket2 = connect();
  push.body() = std::string(65 * 1024, 'p');
  push.prepare_payload();
  EXPECT_EQ(roundtrip(socket2, push).result(), beast_http::status::payload_too_large);
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

// CPU time (user + system) of a process, from /proc/PID/stat.
double cpu_seconds(pid_t pid) {
  std::ifstream f("/proc/" + std::to_string(pid) + "/stat");
  std::string stat((std::istreambuf_iterator<char>(f)), {});
  std::istringstream rest(stat.substr(stat.rfind(')') + 2));  // fields after "(comm) "
  std::string field;
  unsigned long utime = 0, stime = 0;
  for (int i = 3; i <= 15 && rest >> field; ++i) {
    if (i == 14) utime = std::stoul(field);
    if (i == 15) stime = std::stoul(field);
  }
  return static_cast<double>(utime + stime) / static_cast<double>(sysconf(_SC_CLK_TCK));
}

std::size_t open_fds(pid_t pid) {
  std::size_t n = 0;
  for ([[maybe_unused]] const auto& e : std::filesystem::directory_iterator("/proc/" + std::to_string(pid) + "/fd")) ++n;
  return n;
}

// out of descriptors (a 1024-fd limit, 1,500 clients holding
// connections), the accept loop must back off instead of spinning, log a
// bounded number of lines, and serve a new client as soon as a descriptor is
// free. The server runs in a child process with its own RLIMIT_NOFILE; its
// cap is set above the limit so that accept() itself fails.
TEST(HttpEndpointsUnderFdExhaustion, BacksOffLogsLittleAndServesWhenADescriptorIsFree) {
  rlimit mine{};
  ASSERT_EQ(getrlimit(RLIMIT_NOFILE, &mine), 0);
  ASSERT_GE(mine.rlim_max, 4096u) << "the test needs 1,500+ descriptors of its own (raise the hard limit)";
  rlimit raised{std::min<rlim_t>(mine.rlim_max, 8192), mine.rlim_max};
  ASSERT_EQ(setrlimit(RLIMIT_NOFILE, &raised), 0);

  const auto log_path = std::filesystem::temp_directory_path() / ("stackd-endpoints-emfile-" + std::to_string(getpid()));
  int port_pipe[2];
  ASSERT_EQ(pipe(port_pipe), 0);
  const pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    // The child: stderr/stdout to the log, 1024 descriptors, the server.
    FILE* log = std::freopen(log_path.c_str(), "w", stdout);
    if (!log) _exit(3);
    dup2(fileno(stdout), 2);
    rlimit limit{1024, 1024};
    if (setrlimit(RLIMIT_NOFILE, &limit) != 0) _exit(4);
    net::io_context io(1);
    HttpEndpoints server(io.get_executor(), {.port = 0, .idle_timeout = 60s, .request_timeout = 60s, .max_connections = 4096},
                         {.liveness = {}});
    server.start();
    const std::uint16_t port = server.local_endpoint().port();
    if (write(port_pipe[1], &port, sizeof port) != sizeof port) _exit(5);
    io.run();
    _exit(0);
  }
  close(port_pipe[1]);
  std::uint16_t port = 0;
  ASSERT_EQ(read(port_pipe[0], &port, sizeof port), static_cast<ssize_t>(sizeof port));
  close(port_pipe[0]);
  struct KillChild {
    pid_t pid;
    ~KillChild() {
      kill(pid, SIGKILL);
      waitpid(pid, nullptr, 0);
    }
  } kill_child{child};

  net::io_context client_io;
  const tcp::endpoint where(net::ip::make_address("127.0.0.1"), port);
  std::deque<tcp::socket> idle;
  for (int i = 0; i < 1500; ++i) {
    idle.emplace_back(client_io);
    idle.back().connect(where);  // completes from the listen queue even when the server cannot accept
  }
  // Wait until the server holds all the descriptors it may.
  for (auto deadline = std::chrono::steady_clock::now() + 20s;
       open_fds(child) < 1020 && std::chrono::steady_clock::now() < deadline;)
    std::this_thread::sleep_for(20ms);  // polling an observable condition
  ASSERT_GE(open_fds(child), 1020u);

  const double cpu0 = cpu_seconds(child);
  const auto t0 = std::chrono::steady_clock::now();
  std::this_thread::sleep_for(3s);  // the measurement window, not a synchronisation
  const double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  const double share = (cpu_seconds(child) - cpu0) / wall;
  EXPECT_LT(share, 0.05) << "the server used " << share * 100 << "% of a CPU while out of descriptors";

  // Free descriptors: the oldest clients leave. Everything queued behind them,
  // a new probe included, is accepted at once.
  for (int i = 0; i < 1100; ++i) idle.pop_front();  // accepted in connect order: leave fewer than the limit
  const auto t1 = std::chrono::steady_clock::now();
  tcp::socket probe(client_io);
  probe.connect(where);
  beast_http::write(probe, get("/healthz"));
  boost::beast::flat_buffer buffer;
  HttpResponse res;
  beast_http::read(probe, buffer, res);
  const auto waited = std::chrono::steady_clock::now() - t1;
  EXPECT_EQ(res.result(), beast_http::status::ok);
  EXPECT_LT(waited, 500ms) << "a freed descriptor was used only after "
                           << std::chrono::duration_cast<std::chrono::milliseconds>(waited).count() << " ms";

  std::ifstream log(log_path);
  std::size_t accept_lines = 0;
  for (std::string line; std::getline(log, line);)
    if (line.find("accept failed") != std::string::npos) ++accept_lines;
  EXPECT_GE(accept_lines, 1u);  // it did run out, and said so
  EXPECT_LE(accept_lines, 2u);
  std::filesystem::remove(log_path);
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

#include "clients/prometheus/prometheus_client.hpp"

#include <boost/asio.hpp>
#include <gtest/gtest.h>

#include <thread>

namespace net = boost::asio;
using namespace stackd::prometheus;

namespace {

const char* kExposition =
    "# HELP prometheus_config_last_reload_success_timestamp_seconds Timestamp of the last successful configuration "
    "reload.\n"
    "# TYPE prometheus_config_last_reload_success_timestamp_seconds gauge\n"
    "prometheus_config_last_reload_success_timestamp_seconds 1.7957264358759596e+09\n"
    "# TYPE prometheus_config_last_reload_successful gauge\n"
    "prometheus_config_last_reload_successful 0\n"
    "prometheus_config_last_reload_successful_total{x=\"1\"} 5\n";

TEST(PrometheusClient, FindsUnlabelledSamples) {
  EXPECT_EQ(find_sample(kExposition, "prometheus_config_last_reload_successful"), 0.0);
  EXPECT_DOUBLE_EQ(*find_sample(kExposition, "prometheus_config_last_reload_success_timestamp_seconds"),
                   1.7957264358759596e+09);
  EXPECT_EQ(find_sample(kExposition, "prometheus_config"), std::nullopt);
  EXPECT_EQ(find_sample("up 1 1700000000000\n", "up"), 1.0);  // with a timestamp
  EXPECT_EQ(find_sample("up garbage\n", "up"), std::nullopt);
}

TEST(PrometheusClient, ParsesReloadGauges) {
  auto g = parse_reload_gauges(kExposition);
  EXPECT_FALSE(g.last_reload_successful);
  EXPECT_GT(g.last_success_timestamp, 1.7e9);
  EXPECT_THROW(parse_reload_gauges("up 1\n"), ApiError);
}

TEST(PrometheusClient, ApiEnvelopeSuccessAndError) {
  auto data = parse_api_envelope(200, R"({"status":"success","data":{"yaml":"global: {}"}})");
  EXPECT_EQ(data["yaml"], "global: {}");
  try {
    parse_api_envelope(400, R"({"status":"error","errorType":"bad_data","error":"invalid parameter \"query\""})");
    FAIL();
  } catch (const ApiError& e) {
    EXPECT_EQ(e.status(), 400u);
    EXPECT_NE(std::string(e.what()).find("invalid parameter"), std::string::npos);
  }
  EXPECT_THROW(parse_api_envelope(200, "<html>"), ApiError);
}

TEST(PrometheusClient, ParsesRuntimeInfoAndRules) {
  auto info = parse_runtime_info(nlohmann::json::parse(
      R"({"startTime":"2026-01-01T00:00:00Z","reloadConfigSuccess":true,"lastConfigTime":"2026-01-01T00:00:05Z"})"));
  EXPECT_TRUE(info.reload_config_success);
  EXPECT_EQ(info.last_config_time, "2026-01-01T00:00:05Z");
  auto rules = parse_rules(nlohmann::json::parse(R"({"groups":[{"name":"g","file":"/f.yml","rules":[
      {"name":"A","type":"alerting","health":"ok","state":"firing"},
      {"name":"r:x","type":"recording","health":"ok"}]}]})"));
  ASSERT_EQ(rules.size(), 2u);
  EXPECT_EQ(rules[0].name, "A");
  EXPECT_EQ(rules[0].state, "firing");
  EXPECT_EQ(rules[1].type, "recording");
  EXPECT_THROW(parse_rules(nlohmann::json::object()), ApiError);
}

// A Prometheus replaying its WAL accepts the connection and says nothing.
TEST(PrometheusClient, ReloadThatHangsIsNotReadyAfterTheTimeout) {
  net::io_context server_io;
  net::ip::tcp::acceptor acceptor(server_io, {net::ip::make_address("127.0.0.1"), 0});
  const auto port = acceptor.local_endpoint().port();
  net::ip::tcp::socket held(server_io);
  std::thread server([&] {
    boost::system::error_code ec;
    acceptor.accept(held, ec);
  });

  net::io_context io;
  auto endpoint = stackd::http::Endpoint::parse("http://127.0.0.1:" + std::to_string(port));
  const auto started = std::chrono::steady_clock::now();
  auto fut = net::co_spawn(
      io,
      [&]() -> net::awaitable<ReloadResult> {
        Client c(io.get_executor(), endpoint);
        co_return co_await c.reload(std::chrono::milliseconds(300));
      },
      net::use_future);
  io.run();
  auto result = fut.get();
  const auto elapsed = std::chrono::steady_clock::now() - started;
  server.join();
  EXPECT_EQ(result.kind, ReloadResult::Kind::NotReady) << result.message;
  EXPECT_LT(elapsed, std::chrono::seconds(3));
  EXPECT_NE(result.message.find("/-/reload"), std::string::npos);
}

TEST(PrometheusClient, ReloadWithNobodyListeningIsNotReady) {
  net::io_context probe;
  net::ip::tcp::acceptor a(probe, {net::ip::make_address("127.0.0.1"), 0});
  const auto port = a.local_endpoint().port();
  a.close();  // nothing listens there now
  net::io_context io;
  auto fut = net::co_spawn(
      io,
      [&]() -> net::awaitable<ReloadResult> {
        Client c(io.get_executor(), stackd::http::Endpoint::parse("http://127.0.0.1:" + std::to_string(port)));
        co_return co_await c.reload(std::chrono::milliseconds(500));
      },
      net::use_future);
  io.run();
  EXPECT_EQ(fut.get().kind, ReloadResult::Kind::NotReady);
}

}  // namespace

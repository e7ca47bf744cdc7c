#include "common/metrics/metrics.hpp"

#include <gtest/gtest.h>

#include <array>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <limits>
#include <thread>

namespace stackd::metrics {
namespace {

TEST(Metrics, CounterWithoutLabelsIsExposedFromTheStart) {
  Registry reg;
  auto& c = reg.counter("app_requests_total", "Requests served.");
  EXPECT_EQ(reg.expose(),
            "# HELP app_requests_total Requests served.\n"
            "# TYPE app_requests_total counter\n"
            "app_requests_total 0\n");
  c.get().inc();
  c.get().inc(2.5);
  c.get().inc(-1);  // ignored: counters never go down
  EXPECT_DOUBLE_EQ(c.get().value(), 3.5);
  EXPECT_NE(reg.expose().find("app_requests_total 3.5\n"), std::string::npos);
}

TEST(Metrics, LabelledChildrenAreSortedAndStable) {
  Registry reg;
  auto& c = reg.counter("req_total", "r", {"code", "method"});
  auto& a = c.with({"500", "GET"});
  c.with({"200", "POST"}).inc(3);
  a.inc();
  EXPECT_EQ(&a, &c.with({"500", "GET"}));
  EXPECT_EQ(reg.expose(),
            "# HELP req_total r\n# TYPE req_total counter\n"
            "req_total{code=\"200\",method=\"POST\"} 3\n"
            "req_total{code=\"500\",method=\"GET\"} 1\n");
  EXPECT_THROW(c.with({"200"}), std::invalid_argument);
}

TEST(Metrics, EscapesLabelValuesAndHelp) {
  Registry reg;
  reg.gauge("g", "line1\nback\\slash \"quoted\"", {"model"}).with({"a\"b\\c\nd"}).set(1);
  EXPECT_EQ(reg.expose(),
            "# HELP g line1\\nback\\\\slash \"quoted\"\n# TYPE g gauge\n"
            "g{model=\"a\\\"b\\\\c\\nd\"} 1\n");
}

TEST(Metrics, GaugeSetIncDecRemoveClearRetain) {
  Registry reg;
  auto& g = reg.gauge("mem_bytes", "m", {"model"});
  g.with({"a"}).set(10);
  g.with({"a"}).inc(5);
  g.with({"a"}).dec(3);
  g.with({"b"}).set(1);
  g.with({"c"}).set(1);
  EXPECT_DOUBLE_EQ(g.with({"a"}).value(), 12);
  g.remove({"b"});
  EXPECT_EQ(reg.expose().find("model=\"b\""), std::string::npos);
  g.retain({{"c"}});
  EXPECT_EQ(reg.expose().find("model=\"a\""), std::string::npos);
  EXPECT_NE(reg.expose().find("mem_bytes{model=\"c\"} 1\n"), std::string::npos);
  g.clear();
  EXPECT_EQ(reg.expose(), "# HELP mem_bytes m\n# TYPE mem_bytes gauge\n");
  auto& up = reg.gauge("up_now", "u");
  up.clear();  // an unlabelled gauge keeps its one child
  EXPECT_NE(reg.expose().find("up_now 0\n"), std::string::npos);
}

TEST(Metrics, HistogramBucketsAreCumulativeWithInf) {
  Registry reg;
  auto& h = reg.histogram("lat_seconds", "l", {0.1, 1, 10}, {"ep"});
  auto& c = h.with({"x"});
  c.observe(0.05);
  c.observe(0.1);  // le is inclusive
  c.observe(5);
  c.observe(100);
  EXPECT_EQ(reg.expose(),
            "# HELP lat_seconds l\n# TYPE lat_seconds histogram\n"
            "lat_seconds_bucket{ep=\"x\",le=\"0.1\"} 2\n"
            "lat_seconds_bucket{ep=\"x\",le=\"1\"} 2\n"
            "lat_seconds_bucket{ep=\"x\",le=\"10\"} 3\n"
            "lat_seconds_bucket{ep=\"x\",le=\"+Inf\"} 4\n"
            "lat_seconds_sum{ep=\"x\"} 105.15\n"
            "lat_seconds_count{ep=\"x\"} 4\n");
}

TEST(Metrics, UnlabelledHistogram) {
  Registry reg;
  reg.histogram("h", "h", {1, std::numeric_limits<double>::infinity()}).get().observe(2);
  EXPECT_EQ(reg.expose(),
            "# HELP h h\n# TYPE h histogram\nh_bucket{le=\"1\"} 0\nh_bucket{le=\"+Inf\"} 1\nh_sum 2\nh_count 1\n");
}

TEST(Metrics, RegistrationRules) {
  Registry reg;
  auto& a = reg.counter("x_total", "x", {"a"});
  EXPECT_EQ(&a, &reg.counter("x_total", "x", {"a"}));
  EXPECT_THROW(reg.counter("x_total", "x", {"b"}), std::invalid_argument);
  EXPECT_THROW(reg.gauge("x_total", "x", {"a"}), std::invalid_argument);
  EXPECT_THROW(reg.counter("1bad", "x"), std::invalid_argument);
  EXPECT_THROW(reg.counter("bad-name", "x"), std::invalid_argument);
  EXPECT_THROW(reg.counter("ok", "x", {"__reserved"}), std::invalid_argument);
  EXPECT_THROW(reg.counter("ok", "x", {"a", "a"}), std::invalid_argument);
  EXPECT_THROW(reg.histogram("h", "x", {1, 1}), std::invalid_argument);
  EXPECT_THROW(reg.histogram("h", "x", {1}, {"le"}), std::invalid_argument);
  reg.histogram("h2", "x", {1, 2});
  EXPECT_THROW(reg.histogram("h2", "x", {1, 3}), std::invalid_argument);
}

TEST(Metrics, FormatsValuesLikeTheGoClient) {
  EXPECT_EQ(format_value(0), "0");
  EXPECT_EQ(format_value(42), "42");
  EXPECT_EQ(format_value(0.005), "0.005");
  EXPECT_EQ(format_value(1.5e10), "1.5e+10");  // shortest round-trip, as Go prints it
  EXPECT_EQ(format_value(123456789), "123456789");
  EXPECT_EQ(format_value(std::numeric_limits<double>::infinity()), "+Inf");
  EXPECT_EQ(format_value(-std::numeric_limits<double>::infinity()), "-Inf");
  EXPECT_EQ(format_value(std::numeric_limits<double>::quiet_NaN()), "NaN");
}

TEST(Metrics, BucketHelpers) {
  EXPECT_EQ(exponential_buckets(1, 2, 4), (std::vector<double>{1, 2, 4, 8}));
  EXPECT_EQ(linear_buckets(0, 5, 3), (std::vector<double>{0, 5, 10}));
}

TEST(Metrics, ConcurrentUpdatesAreNotLost) {
  Registry reg;
  auto& c = reg.counter("c_total", "c", {"t"});
  auto& h = reg.histogram("h", "h", {1});
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t)
    threads.emplace_back([&] {
      for (int i = 0; i < 10000; ++i) {
        c.with({"same"}).inc();
        h.get().observe(0.5);
        if (i % 1000 == 0) (void)reg.expose();
      }
    });
  for (auto& t : threads) t.join();
  EXPECT_DOUBLE_EQ(c.with({"same"}).value(), 40000);
  EXPECT_EQ(h.get().snapshot().count, 40000u);
}

// The exposition must satisfy Prometheus' own linter. promtool is a declared
// test dependency: its absence is a failure, not a skip.
TEST(Metrics, PromtoolAcceptsExposition) {
  ASSERT_TRUE(std::filesystem::exists(STACKD_PROMTOOL)) << STACKD_PROMTOOL << " is missing (apt-get install prometheus)";
  Registry reg;
  reg.counter("demo_requests_total", "Requests \"served\"\nby code.", {"code", "model"}).with({"200", "llama\"3\\x"}).inc();
  reg.gauge("demo_up", "Whether the backend answers.").get().set(1);
  reg.gauge("demo_memory_bytes", "Memory.", {"model", "location"}).with({"m", "vram"}).set(1e9);
  reg.histogram("demo_duration_seconds", "Duration.", {0.1, 1, 600}, {"endpoint"}).with({"/api/chat"}).observe(0.3);
  auto path = std::filesystem::temp_directory_path() / ("metrics_test_" + std::to_string(::getpid()) + ".prom");
  {
    std::ofstream f(path);
    f << reg.expose();
  }
  std::string cmd = std::string(STACKD_PROMTOOL) + " check metrics < " + path.string() + " 2>&1";
  FILE* p = ::popen(cmd.c_str(), "r");
  ASSERT_NE(p, nullptr);
  std::string output;
  std::array<char, 512> buf{};
  while (auto n = std::fread(buf.data(), 1, buf.size(), p)) output.append(buf.data(), n);
  int rc = ::pclose(p);
  std::filesystem::remove(path);
  EXPECT_EQ(rc, 0) << output;
  EXPECT_EQ(output, "") << "promtool lint findings";
}

}  // namespace
}  // namespace stackd::metrics

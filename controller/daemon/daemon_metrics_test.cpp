#include "controller/daemon/daemon_metrics.hpp"

#include <boost/asio/io_context.hpp>
#include <gtest/gtest.h>

#include <array>
#include <cstdio>
#include <filesystem>
#include <fstream>

#include "controller/daemon/fake_clock.hpp"

namespace stackd::daemon {
namespace {

using namespace std::chrono_literals;

bool has_line(const std::string& text, const std::string& line) {
  return text.find("\n" + line + "\n") != std::string::npos;
}

TEST(DaemonMetrics, SeriesExistAtZeroBeforeAnythingHappens) {
  metrics::Registry registry;
  DaemonMetrics m(registry, {"containers", "prometheus", "grafana"});
  const std::string text = registry.expose();
  EXPECT_TRUE(has_line(text, R"(stackd_reconcile_total{reconciler="grafana",result="error"} 0)")) << text;
  EXPECT_TRUE(has_line(text, R"(stackd_drift_repairs_total{kind="missing"} 0)")) << text;
  EXPECT_TRUE(has_line(text, "stackd_workqueue_depth 0")) << text;
  EXPECT_TRUE(has_line(text, "stackd_docker_event_stream_reconnects_total 0")) << text;
}

TEST(DaemonMetrics, ReflectsWhatTheQueueAndEventWatcherCounted) {
  metrics::Registry registry;
  DaemonMetrics m(registry, {"containers"});
  net::io_context io;
  FakeClock clock;
  FakeRandom random;
  WorkQueue queue(io.get_executor(), clock, random, {}, m.work_queue_hooks());
  queue.add("prometheus");
  queue.add("grafana");
  queue.add_rate_limited("grafana");
  clock.advance(2s);
  auto key = queue.try_get();
  clock.advance(500ms);
  queue.done(*key);
  m.reconcile_finished("containers", "success", 500ms);
  m.reconcile_finished("containers", "error", 2s);
  m.drift_repaired("missing");
  m.manifest_applied("frontier-llm", "sha256:old");
  m.manifest_applied("frontier-llm", "sha256:new");
  m.full_reconcile_succeeded(SystemTime(std::chrono::seconds(1'767'225'600)));
  EventWatcherStats events{.connects = 3, .reconnects = 2, .failures = 2, .events = 10, .dropped = 4};
  m.refresh(queue.stats(), events, true);
  m.refresh(queue.stats(), events, true);  // a second scrape adds nothing

  const std::string text = registry.expose();
  EXPECT_TRUE(has_line(text, "stackd_workqueue_depth 1")) << text;
  EXPECT_TRUE(has_line(text, "stackd_workqueue_adds_total 2")) << text;
  EXPECT_TRUE(has_line(text, "stackd_workqueue_retries_total 1")) << text;
  EXPECT_TRUE(has_line(text, "stackd_workqueue_queue_duration_seconds_count 1")) << text;
  EXPECT_TRUE(has_line(text, "stackd_workqueue_work_duration_seconds_sum 0.5")) << text;
  EXPECT_TRUE(has_line(text, R"(stackd_reconcile_total{reconciler="containers",result="success"} 1)")) << text;
  EXPECT_TRUE(has_line(text, R"(stackd_reconcile_errors_total{reconciler="containers"} 1)")) << text;
  EXPECT_TRUE(has_line(text, R"(stackd_drift_repairs_total{kind="missing"} 1)")) << text;
  EXPECT_TRUE(has_line(text, R"(stackd_manifest_info{stack="frontier-llm",revision="sha256:new"} 1)")) << text;
  EXPECT_EQ(text.find("sha256:old"), std::string::npos) << text;
  EXPECT_TRUE(has_line(text, "stackd_last_successful_reconcile_timestamp_seconds 1767225600")) << text;
  EXPECT_TRUE(has_line(text, "stackd_docker_event_stream_reconnects_total 2")) << text;
  EXPECT_TRUE(has_line(text, "stackd_docker_event_stream_connected 1")) << text;
  EXPECT_TRUE(has_line(text, R"(stackd_docker_events_total{outcome="dropped"} 4)")) << text;
  EXPECT_TRUE(has_line(text, R"(stackd_docker_events_total{outcome="queued"} 6)")) << text;
}

// promtool is a declared test dependency: missing is a failure, not a skip.
TEST(DaemonMetrics, PromtoolAcceptsTheExposition) {
  const std::filesystem::path promtool = "/usr/bin/promtool";
  ASSERT_TRUE(std::filesystem::exists(promtool)) << "promtool missing (apt-get install prometheus)";
  metrics::Registry registry;
  DaemonMetrics m(registry, {"containers", "prometheus", "grafana"});
  m.reconcile_finished("prometheus", "success", 120ms);
  m.manifest_applied("frontier-llm", "sha256:abc");
  const auto path = std::filesystem::temp_directory_path() / ("daemon_metrics_" + std::to_string(::getpid()) + ".prom");
  std::ofstream(path) << registry.expose();
  const std::string cmd = promtool.string() + " check metrics < " + path.string() + " 2>&1";
  FILE* p = ::popen(cmd.c_str(), "r");
  ASSERT_NE(p, nullptr);
  std::string output;
  std::array<char, 512> buf{};
  while (auto n = std::fread(buf.data(), 1, buf.size(), p)) output.append(buf.data(), n);
  const int rc = ::pclose(p);
  std::filesystem::remove(path);
  EXPECT_EQ(rc, 0) << output;
  EXPECT_EQ(output, "") << "promtool lint findings";
}

}  // namespace
}  // namespace stackd::daemon

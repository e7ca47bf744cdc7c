// apply's wait for a Grafana it runs: over at --timeout, at once when the
// container exited, and the failure names why and what is still to push;
// the reconciler's loop on the fake clock against an engine whose Grafana
// container exited (nothing listens at its address).
#include "reconcilers/grafana/grafana_wait.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <future>

#include "api/v1alpha1/labels.hpp"
#include "clients/docker/fake_engine.hpp"
#include "common/metrics/metrics.hpp"
#include "reconcilers/grafana/grafana_api_reconciler.hpp"
#include "runtime/fake_clock.hpp"

using namespace stackd;
using namespace stackd::grafana;
using namespace std::chrono_literals;

namespace {

Desired three_dashboards() {
  Desired d;
  d.base_url = "http://127.0.0.1:3000";
  d.datasources.push_back({.uid = "prometheus", .name = "Prometheus"});
  for (const char* t : {"GPU", "Node", "Ollama", "Alerts"}) {
    DashboardSpec s;
    s.title = t;
    d.dashboards.push_back(s);
  }
  return d;
}

docker::ContainerInfo in_state(const std::string& status, int exit_code = 0) {
  docker::ContainerInfo info;
  info.state.status = status;
  info.state.exit_code = exit_code;
  return info;
}

// A loopback port nothing listens on (bound, never listened, then closed).
int closed_port() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
  socklen_t len = sizeof a;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  ::close(fd);
  return ntohs(a.sin_port);
}

}  // namespace

TEST(GrafanaWait, OverAtTheTimeoutOrAtOnceWhenTheContainerStopped) {
  EXPECT_FALSE(grafana_wait_over(10s, 300s, std::nullopt));
  EXPECT_EQ(grafana_wait_over(300s, 300s, std::nullopt), "it did not answer within 5m (--timeout)");
  EXPECT_EQ(grafana_wait_over(90s, 90s, std::nullopt), "it did not answer within 90s (--timeout)");
  EXPECT_EQ(grafana_wait_over(1s, 300s, grafana_container_stopped(true, in_state("exited", 1))),
            "its container exited with code 1");
}

TEST(GrafanaWait, OnlyAContainerThatCannotAnswerStopsTheWait) {
  EXPECT_FALSE(grafana_container_stopped(true, in_state("running")));
  EXPECT_FALSE(grafana_container_stopped(true, in_state("created")));
  EXPECT_FALSE(grafana_container_stopped(false, std::nullopt)) << "no engine to ask: wait out the timeout";
  EXPECT_EQ(grafana_container_stopped(true, in_state("dead", 137)), "exited with code 137");
  EXPECT_EQ(grafana_container_stopped(true, in_state("restarting", 2)), "is restarting (exited with code 2)");
  EXPECT_EQ(grafana_container_stopped(true, std::nullopt), "no longer exists");
}

TEST(GrafanaWait, TheMessageNamesWhyAndWhatIsStillToPush) {
  auto d = three_dashboards();
  d.manage_password = true;
  EXPECT_EQ(grafana_not_ready_message(d, "it did not answer within 5m (--timeout)", "connection refused"),
            "Grafana at http://127.0.0.1:3000 is not ready: it did not answer within 5m (--timeout) (last: "
            "connection refused); still to push: 1 datasources (Prometheus) and 4 dashboards (GPU, Node, Ollama, "
            "+1 more), the admin password");
  EXPECT_EQ(still_to_push(Desired{}), "nothing");
}

// The Grafana container exited: apply's pass ends at once, on the fake clock,
// instead of waiting out a 5-minute --timeout for a dead process.
TEST(GrafanaApiReconcilerWait, AnExitedGrafanaContainerEndsTheWaitAtOnce) {
  docker::FakeEngine engine;
  engine.add_image("grafana/grafana:fake");
  auto labels = labels::owner_labels("demo");
  labels[labels::kComponent] = "grafana";
  boost::asio::io_context io;
  const std::string name = "demo-grafana";
  const nlohmann::json body = {{"Image", "grafana/grafana:fake"}, {"Labels", labels}};  // outlives the coroutine
  auto created = boost::asio::co_spawn(io, engine.create_container(name, body), boost::asio::use_future);
  io.run();
  const auto id = created.get();
  io.restart();
  auto started_container = boost::asio::co_spawn(io, engine.start_container(id), boost::asio::use_future);
  io.run();
  started_container.get();
  engine.kill_container(id, 1);
  ASSERT_EQ(engine.find(name)->status, "exited");

  auto snapshot = std::make_shared<desired::Snapshot>();
  snapshot->revision = "sha256:1";
  snapshot->desired.stack = "demo";
  desired::GrafanaState state;
  state.base_url = "http://127.0.0.1:" + std::to_string(closed_port());
  state.runs_container = true;
  DashboardSpec gpu;
  gpu.title = "GPU";
  state.dashboards.push_back(gpu);
  snapshot->desired.grafana = state;

  metrics::Registry registry;
  runtime::FakeClock clock;
  GrafanaApiReconciler reconciler(io.get_executor(), registry, &engine, GrafanaSettings{.ready_timeout = 300s});
  runtime::Context ctx{desired::SnapshotPtr(snapshot), clock, [](const std::string&) {}};
  runtime::Request request{"grafana"};
  io.restart();
  auto done = boost::asio::co_spawn(
      io, [&]() -> boost::asio::awaitable<runtime::Result> { co_return co_await reconciler.reconcile(request, ctx); },
      boost::asio::use_future);
  const auto started = clock.now();
  // Real loopback I/O (a refused connect) runs until the pass either ends
  // or waits on the fake clock, which is then moved to its next deadline.
  for (int i = 0; i < 2000 && done.wait_for(0s) != std::future_status::ready; ++i) {
    io.restart();
    io.run_for(std::chrono::milliseconds(5));
    if (done.wait_for(0s) != std::future_status::ready && clock.pending() > 0) clock.advance_to_next();
  }
  ASSERT_EQ(done.wait_for(0s), std::future_status::ready);
  try {
    done.get();
    FAIL() << "a Grafana that cannot answer fails the pass";
  } catch (const runtime::ReconcileError& e) {
    EXPECT_EQ(e.reason(), "GrafanaNotReady");
    const std::string m = e.what();
    EXPECT_NE(m.find("is not ready: its container exited with code 1"), std::string::npos) << m;
    EXPECT_NE(m.find("still to push: 1 dashboards (GPU), the admin password"), std::string::npos) << m;
  }
  EXPECT_LT(clock.now() - started, runtime::Duration(5s)) << "no wait for a dead container";
}

#include "clients/docker/docker_client.hpp"
#include "runtime/event_watcher.hpp"

#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <gtest/gtest.h>

#include <deque>
#include <vector>

#include "clients/docker/docker_client.hpp"
#include "runtime/fake_clock.hpp"
#include "api/v1alpha1/labels.hpp"

namespace stackd::runtime {
namespace {

using namespace std::chrono_literals;

docker::Event container_event(std::string action, std::string component, std::string stack = "frontier-llm") {
  docker::Event e;
  e.type = "container";
  e.action = std::move(action);
  e.id = "c0ffee";
  e.attributes = {{labels::kManagedBy, labels::kManagedByValue},
                  {labels::kStack, std::move(stack)},
                  {labels::kComponent, std::move(component)},
                  {"name", "frontier-llm-prometheus"}};
  return e;
}

TEST(EventKey, MapsStateChangesOfOurContainersToTheirComponent) {
  for (const char* action : {"create", "start", "die", "kill", "stop", "destroy", "rename", "update", "oom", "pause",
                             "unpause", "restart", "health_status: unhealthy"}) {
    EXPECT_EQ(event_key(container_event(action, "prometheus"), "frontier-llm"), "prometheus") << action;
  }
}

TEST(EventKey, DropsWhatStackdCausesItself) {
  for (const char* action : {"exec_create", "exec_start", "exec_die", "exec_create: promtool check config x",
                             "exec_start: /bin/promtool check rules", "archive-path", "extract-to-dir", "top",
                             "attach", "resize", "copy", "export", "exec_detach", "exec_resize"}) {
    EXPECT_EQ(event_key(container_event(action, "prometheus"), "frontier-llm"), std::nullopt) << action;
  }
}

TEST(EventKey, IgnoresForeignAndOtherStacksObjects) {
  docker::Event foreign = container_event("destroy", "prometheus");
  foreign.attributes.erase(labels::kManagedBy);
  EXPECT_EQ(event_key(foreign, "frontier-llm"), std::nullopt);
  foreign.attributes[labels::kManagedBy] = "compose";
  EXPECT_EQ(event_key(foreign, "frontier-llm"), std::nullopt);
  EXPECT_EQ(event_key(container_event("die", "grafana", "other-stack"), "frontier-llm"), std::nullopt);
  EXPECT_EQ(event_key(container_event("die", "grafana", "other-stack"), ""), "grafana");  // any stack
  docker::Event no_component = container_event("die", "");
  EXPECT_EQ(event_key(no_component, "frontier-llm"), std::nullopt);
}

TEST(EventKey, NetworksAndVolumesMapToInfrastructure) {
  docker::Event net = container_event("destroy", "");
  net.type = "network";
  EXPECT_EQ(event_key(net, "frontier-llm"), std::string(kInfrastructureKey));
  net.type = "volume";
  EXPECT_EQ(event_key(net, "frontier-llm"), std::string(kInfrastructureKey));
  net.type = "image";
  EXPECT_EQ(event_key(net, "frontier-llm"), std::nullopt);
}

// A scripted engine: each attempt either fails before answering, or opens,
// delivers events and then ends, fails, or stays open until cancelled.
struct Attempt {
  bool opens = true;
  std::vector<docker::Event> events;
  enum class End { Close, Fail, Hang } end = End::Close;
  Duration lasts = Duration::zero();  // how long the stream stays up before ending
};

struct EventWatcherTest : ::testing::Test {
  net::io_context io;
  FakeClock clock;
  FakeRandom random;  // no jitter
  std::deque<Attempt> script;
  std::vector<SteadyTime> attempt_times;
  int connected_calls = 0;
  std::vector<std::string> keys;
  std::vector<Duration> retry_delays;

  EventStream stream = [this](std::function<void()> on_open,
                              std::function<bool(const docker::Event&)> on_event) -> net::awaitable<void> {
    attempt_times.push_back(clock.now());
    Attempt a = script.empty() ? Attempt{.end = Attempt::End::Hang} : script.front();
    if (!script.empty()) script.pop_front();
    if (!a.opens) throw std::runtime_error("connect: No such file or directory [/tmp/docker.sock]");
    on_open();
    for (const auto& e : a.events) on_event(e);
    if (a.end == Attempt::End::Hang) co_await sleep_for(clock, 1000h);
    if (a.lasts > Duration::zero()) co_await sleep_for(clock, a.lasts);
    if (a.end == Attempt::End::Fail) throw std::runtime_error("read: Connection reset by peer");
  };
  EventWatcher watcher{clock, random, stream,
                       EventWatcherConfig{.stack = "frontier-llm",
                                          .reconnect = {.base = 1s, .cap = 8s, .jitter = 0.2},
                                          .stable_after = 10s},
                       EventCallbacks{.on_connected = [this] { ++connected_calls; },
                                      .on_event = [this](const std::string& k, const docker::Event&) { keys.push_back(k); },
                                      .on_disconnected = [this](const std::string&, Duration d) { retry_delays.push_back(d); }}};
  net::cancellation_signal stop;
  std::exception_ptr ended;
  bool finished = false;

  void start() {
    net::co_spawn(io, watcher.run(), net::bind_cancellation_slot(stop.slot(), [this](std::exception_ptr e) {
                    ended = e;
                    finished = true;
                  }));
    io.poll();
  }
  void step(Duration d) {
    clock.advance(d);
    io.poll();
  }
  void TearDown() override {
    stop.emit(net::cancellation_type::terminal);
    io.poll();
  }
};

TEST_F(EventWatcherTest, DeliversKeysAndDropsNoise) {
  script.push_back({.events = {container_event("die", "prometheus"), container_event("exec_start", "prometheus"),
                               container_event("destroy", "grafana")},
                    .end = Attempt::End::Hang});
  start();
  EXPECT_EQ(connected_calls, 1);
  EXPECT_TRUE(watcher.connected());
  EXPECT_EQ(keys, (std::vector<std::string>{"prometheus", "grafana"}));
  EXPECT_EQ(watcher.stats().events, 3u);
  EXPECT_EQ(watcher.stats().dropped, 1u);
  EXPECT_EQ(watcher.stats().reconnects, 0u);
}

TEST_F(EventWatcherTest, EngineDownBacksOffExponentiallyThenRelistsOnConnect) {
  for (int i = 0; i < 5; ++i) script.push_back({.opens = false});
  script.push_back({.end = Attempt::End::Hang});
  start();
  EXPECT_FALSE(watcher.connected());
  while (connected_calls == 0) {
    ASSERT_TRUE(clock.advance_to_next());
    io.poll();
  }
  EXPECT_EQ(retry_delays, (std::vector<Duration>{1s, 2s, 4s, 8s, 8s}));
  ASSERT_EQ(attempt_times.size(), 6u);
  EXPECT_EQ(attempt_times[5] - attempt_times[0], 23s);
  EXPECT_TRUE(watcher.connected());
  EXPECT_EQ(watcher.stats().connects, 1u);
  EXPECT_EQ(watcher.stats().failures, 5u);
}

TEST_F(EventWatcherTest, EngineRestartReconnectsAndCallsOnConnectedAgain) {
  script.push_back({.end = Attempt::End::Fail, .lasts = 1h});  // healthy for an hour, then the engine restarts
  script.push_back({.opens = false});                          // still coming up
  script.push_back({.end = Attempt::End::Hang});
  start();
  EXPECT_EQ(connected_calls, 1);
  step(1h);
  EXPECT_FALSE(watcher.connected());
  EXPECT_EQ(retry_delays, (std::vector<Duration>{1s}));  // backoff was reset: the stream had been healthy
  step(1s);
  step(2s);
  EXPECT_TRUE(watcher.connected());
  EXPECT_EQ(connected_calls, 2);  // the manager re-lists after the reconnect
  EXPECT_EQ(watcher.stats().reconnects, 1u);
}

TEST_F(EventWatcherTest, AStreamThatKeepsDyingAtOnceKeepsBackingOff) {
  for (int i = 0; i < 4; ++i) script.push_back({.end = Attempt::End::Close});
  start();
  for (int i = 0; i < 4; ++i) {
    ASSERT_TRUE(clock.advance_to_next());
    io.poll();
  }
  EXPECT_EQ(retry_delays, (std::vector<Duration>{1s, 2s, 4s, 8s}));
  EXPECT_EQ(connected_calls, 5);
  EXPECT_EQ(watcher.stats().reconnects, 4u);
}

TEST_F(EventWatcherTest, CancellingStopsTheLoopWhetherConnectedOrWaiting) {
  script.push_back({.opens = false});
  start();
  EXPECT_FALSE(finished);
  stop.emit(net::cancellation_type::terminal);  // while sleeping before a retry
  io.poll();
  EXPECT_TRUE(finished);
  EXPECT_TRUE(ended);
  EXPECT_EQ(clock.pending(), 0u);
}

TEST_F(EventWatcherTest, CancellingAnOpenStreamDoesNotReconnect) {
  script.push_back({.end = Attempt::End::Hang});
  start();
  ASSERT_TRUE(watcher.connected());
  stop.emit(net::cancellation_type::terminal);
  io.poll();
  EXPECT_TRUE(finished);
  EXPECT_FALSE(watcher.connected());
  EXPECT_EQ(attempt_times.size(), 1u);
}

// The adapter against a real client whose engine is absent: the watcher
// keeps retrying and reports the transport error.
TEST(DockerEventStream, AnUnreachableEngineIsRetriedNotFatal) {
  net::io_context io;
  FakeClock clock;
  FakeRandom random;
  docker::Client client(io.get_executor(), http::Endpoint::parse("unix:///nonexistent/stackd-test/docker.sock"));
  std::vector<std::string> errors;
  EventWatcher watcher(clock, random, docker_event_stream(client, labels::owner_labels("frontier-llm")),
                       {.stack = "frontier-llm"},
                       {.on_disconnected = [&](const std::string& e, Duration) { errors.push_back(e); }});
  net::cancellation_signal stop;
  net::co_spawn(io, watcher.run(), net::bind_cancellation_slot(stop.slot(), [](std::exception_ptr) {}));
  auto run_until_errors = [&](std::size_t n) {
    const auto deadline = std::chrono::steady_clock::now() + 5s;
    while (errors.size() < n && std::chrono::steady_clock::now() < deadline) io.run_for(10ms);
  };
  run_until_errors(1);
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_NE(errors[0].find("nonexistent"), std::string::npos) << errors[0];  // names the socket
  EXPECT_FALSE(watcher.connected());
  clock.advance_to_next();  // the backoff delay passes
  run_until_errors(2);
  EXPECT_EQ(errors.size(), 2u);
  stop.emit(net::cancellation_type::terminal);
  io.run_for(100ms);
}

}  // namespace
}  // namespace stackd::runtime

// EventWatcher against a real Docker engine (a private dockerd started by the
// ctest fixture): checks that the actions the engine really emits for what
// stackd does to its own containers (exec, archive upload and download) are
// dropped, and that real state changes come out as the component's key.
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>

#include "clients/docker/docker_client.hpp"
#include "common/tar_archive.hpp"
#include "clients/docker/docker_client.hpp"
#include "runtime/event_watcher.hpp"
#include "api/v1alpha1/labels.hpp"

namespace stackd::runtime {
namespace {

using namespace std::chrono_literals;

const char* kStack = "daemon-evt-test";
const char* kName = "daemon-evt-test-node-exporter";

std::string docker_host() {
  const char* env = std::getenv("STACKD_TEST_DOCKER_HOST");
  return env && *env ? env : STACKD_DAEMON_TEST_DOCKER_HOST;
}

net::awaitable<void> pause(std::chrono::milliseconds d) {
  net::steady_timer t(co_await net::this_coro::executor, d);
  co_await t.async_wait(net::use_awaitable);
}

// Waits up to `limit` for pred(), turning the loop meanwhile.
net::awaitable<bool> eventually(const std::function<bool()>& pred, std::chrono::milliseconds limit = 10s) {
  for (auto waited = 0ms; waited < limit; waited += 20ms) {
    if (pred()) co_return true;
    co_await pause(20ms);
  }
  co_return pred();
}

TEST(EventWatcherEngine, SelfCausedNoiseIsDroppedAndStateChangesMapToTheComponent) {
  net::io_context io;
  SystemClock clock(io.get_executor());
  DefaultRandom random;
  docker::Client client(io.get_executor(), http::Endpoint::parse(docker_host()));
  std::vector<std::string> keys;
  std::vector<std::string> raw_actions;  // what the engine sent, for the failure message
  int connects = 0;
  std::string last_error;

  const EventStream real = docker_event_stream(client, labels::owner_labels(kStack));
  EventStream recording = [&](std::function<void()> on_open,
                              std::function<bool(const docker::Event&)> on_event) -> net::awaitable<void> {
    std::function<bool(const docker::Event&)> record = [&, on_event](const docker::Event& e) {
      raw_actions.push_back(e.type + ":" + e.action);
      return on_event(e);
    };
    co_await real(on_open, record);
  };
  EventWatcher watcher(clock, random, recording, {.stack = kStack},
                       {.on_connected = [&] { ++connects; },
                        .on_event = [&](const std::string& key, const docker::Event&) { keys.push_back(key); },
                        .on_disconnected = [&](const std::string& error, Duration) { last_error = error; }});
  net::cancellation_signal stop_watcher;
  std::exception_ptr failure;

  net::co_spawn(io, [&]() -> net::awaitable<void> {
    co_await client.remove_container(kName, true);  // a leftover of an aborted run
    net::co_spawn(io, watcher.run(), net::bind_cancellation_slot(stop_watcher.slot(), [](std::exception_ptr) {}));
    EXPECT_TRUE(co_await eventually([&] { return watcher.connected(); })) << "never connected to " << docker_host();
    co_await pause(200ms);  // let /events be established before acting

    nlohmann::json body = {
        {"Image", "stackd-test/node-exporter:1.5"},
        {"Cmd", {"--web.listen-address=127.0.0.1:0"}},
        {"Labels",
         {{labels::kManagedBy, labels::kManagedByValue}, {labels::kStack, kStack},
          {labels::kComponent, "node-exporter"}}},
        {"HostConfig", {{"NetworkMode", "host"}}}};
    const std::string id = co_await client.create_container(kName, body);
    co_await client.start_container(id);
    EXPECT_TRUE(co_await eventually([&] { return std::count(keys.begin(), keys.end(), "node-exporter") >= 2; }))
        << "create+start not seen; events received " << watcher.stats().events << ", stream failures "
        << watcher.stats().failures << ", last error: " << last_error;

    // What stackd does to a running component without changing it.
    co_await pause(300ms);
    keys.clear();
    const std::size_t raw_before = raw_actions.size();
    const auto dropped_before = watcher.stats().dropped;
    std::vector<std::string> version_cmd = {"/bin/node_exporter", "--version"};
    const docker::ExecResult exec = co_await client.exec(id, version_cmd);
    EXPECT_EQ(exec.exit_code, 0) << exec.output;
    std::vector<TarFile> files = {TarFile{.path = "stackd-rules.yml", .content = "groups: []\n"}};
    const std::string tar = make_tar(files);
    co_await client.put_archive(id, "/tmp", tar);
    const auto back = co_await client.get_archive(id, "/tmp/stackd-rules.yml");
    EXPECT_TRUE(back.has_value());
    // exec_create, exec_start, exec_die, extract-to-dir, archive-path at least.
    EXPECT_TRUE(co_await eventually([&] { return watcher.stats().dropped - dropped_before >= 5; }))
        << "dropped only " << watcher.stats().dropped - dropped_before;
    co_await pause(300ms);
    std::string seen;
    for (std::size_t i = raw_before; i < raw_actions.size(); ++i) seen += raw_actions[i] + " ";
    EXPECT_TRUE(keys.empty()) << "self-caused events queued keys; engine sent: " << seen;
    RecordProperty("noise_actions", seen);

    // Drift: someone stops the container.
    co_await client.stop_container(id, 1);
    EXPECT_TRUE(co_await eventually([&] { return !keys.empty(); })) << "stop not seen";
    if (!keys.empty()) {
      EXPECT_EQ(keys.front(), "node-exporter");
    }

    co_await client.remove_container(id, true);
    EXPECT_EQ(connects, 1);
    EXPECT_EQ(watcher.stats().reconnects, 0u);
    stop_watcher.emit(net::cancellation_type::terminal);
  }, [&](std::exception_ptr e) { failure = e; });
  io.run_for(60s);
  if (failure) {
    try {
      std::rethrow_exception(failure);
    } catch (const std::exception& e) {
      FAIL() << "engine interaction failed: " << e.what();
    }
  }
}

}  // namespace
}  // namespace stackd::runtime

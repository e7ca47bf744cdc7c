#include "tests/prometheus/test_engine.hpp"

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <cstdio>
#include <cstdlib>
#include <stdexcept>

#include "clients/prometheus/prometheus_client.hpp"

#ifndef STACKD_SOURCE_DIR
#error "STACKD_SOURCE_DIR must point at the repository (scripts/)"
#endif

namespace stackd::test_support {
namespace net = boost::asio;

namespace {
std::string g_image = "stackd-test/prometheus:2.42";

std::string run_capture(const std::string& cmd) {
  std::string out;
  FILE* p = ::popen(cmd.c_str(), "r");
  if (!p) throw std::runtime_error("cannot run " + cmd);
  char buf[512];
  while (std::fgets(buf, sizeof buf, p)) out += buf;
  int rc = ::pclose(p);
  if (rc != 0) throw std::runtime_error("`" + cmd + "` failed (" + std::to_string(rc) + "): " + out);
  return out;
}
}  // namespace

const std::string& prometheus_test_image() { return g_image; }

bool ensure_test_engine(const std::string& dir) {
  bool started = false;
  const char* host = std::getenv("DOCKER_HOST");
  if (!host || !*host) {
    std::string out = run_capture(std::string(STACKD_SOURCE_DIR) + "/scripts/test-engine.sh start " + dir + " 2>&1");
    auto pos = out.find("DOCKER_HOST=");
    if (pos == std::string::npos) throw std::runtime_error("test engine did not say where it listens: " + out);
    std::string value = out.substr(pos + 12);
    value = value.substr(0, value.find('\n'));
    ::setenv("DOCKER_HOST", value.c_str(), 1);
    started = true;
  }
  run_capture(std::string(STACKD_SOURCE_DIR) + "/scripts/build-test-images.sh 2>&1");
  g_image = "stackd-test/prometheus:2.42";
  return started;
}

void stop_test_engine(const std::string& dir) {
  std::system((std::string(STACKD_SOURCE_DIR) + "/scripts/test-engine.sh stop " + dir + " >/dev/null 2>&1").c_str());
}

unsigned short free_loopback_port() {
  net::io_context io;
  net::ip::tcp::acceptor a(io, {net::ip::make_address("127.0.0.1"), 0});
  return a.local_endpoint().port();
}

net::awaitable<std::string> start_prometheus(docker::Client& docker, const std::string& name, unsigned short port,
                                             const std::vector<TarFile>& files, std::string image) {
  co_await docker.remove_container(name, true);  // a leftover of an interrupted run
  const std::string listen = "127.0.0.1:" + std::to_string(port);
  nlohmann::json body = {
      {"Image", image},
      {"Cmd",
       {"--config.file=/etc/prometheus/stackd/prometheus.yml", "--storage.tsdb.path=/prometheus",
        "--web.enable-lifecycle", "--web.listen-address=" + listen, "--storage.tsdb.retention.time=1d"}},
      {"Labels", {{"dev.stackd.managed-by", "stackd-test"}}},
      {"HostConfig", {{"NetworkMode", "host"}}}};
  std::string id = co_await docker.create_container(name, body);
  co_await docker.put_archive(id, "/", make_tar(files));
  co_await docker.start_container(id);

  prometheus::Client prom(co_await net::this_coro::executor, http::Endpoint::parse("http://" + listen),
                          std::chrono::seconds(2));
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (!(co_await prom.ready())) {
    auto info = co_await docker.inspect_container(id);
    if (!info || !info->state.running || std::chrono::steady_clock::now() > deadline) {
      std::string state = info ? info->state.status + " exit " + std::to_string(info->state.exit_code) + " " +
                                     info->state.error
                               : "gone";
      co_await docker.remove_container(id, true);
      throw std::runtime_error("Prometheus " + name + " (" + image + ") never got ready; container " + state);
    }
    net::steady_timer t(co_await net::this_coro::executor, std::chrono::milliseconds(50));
    co_await t.async_wait(net::use_awaitable);
  }
  co_return id;
}

}  // namespace stackd::test_support

#include "exporter/ollama_exporter.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <spdlog/spdlog.h>

#include <cstdlib>
#include <stdexcept>

#include "clients/http/endpoint.hpp"
#include "clients/http/http_client.hpp"
#include "common/metrics/metrics.hpp"
#include "exporter/accept_loop.hpp"
#include "exporter/ollama_metrics.hpp"
#include "exporter/proxy.hpp"
#include "exporter/ps_poller.hpp"

namespace stackd::exporter {

namespace net = boost::asio;
using tcp = net::ip::tcp;

namespace {

// "host:port", ":port" (all interfaces) or "[v6]:port".
tcp::endpoint parse_listen(const std::string& s) {
  auto colon = s.rfind(':');
  if (colon == std::string::npos) throw std::invalid_argument("--listen '" + s + "' needs host:port");
  std::string host = s.substr(0, colon);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
  if (host.empty()) host = "0.0.0.0";
  if (host == "localhost") host = "127.0.0.1";
  int port = std::atoi(s.c_str() + colon + 1);
  if (port <= 0 || port > 65535) throw std::invalid_argument("--listen '" + s + "' has no valid port");
  boost::system::error_code ec;
  auto addr = net::ip::make_address(host, ec);
  if (ec) throw std::invalid_argument("--listen '" + s + "': '" + host + "' is not an IP address");
  return {addr, static_cast<unsigned short>(port)};
}

int parallel_from_env() {
  const char* v = std::getenv("OLLAMA_NUM_PARALLEL");
  int n = v ? std::atoi(v) : 0;
  return n > 0 ? n : 1;
}

}  // namespace

int run(const Options& options) {
  http::Endpoint upstream;
  tcp::endpoint listen;
  try {
    upstream = http::Endpoint::parse(options.upstream);
    if (upstream.kind != http::Endpoint::Kind::Tcp || !upstream.base_path.empty())
      throw std::invalid_argument("--upstream must be http://host:port");
    listen = parse_listen(options.listen);
  } catch (const std::exception& e) {
    spdlog::error("{}", e.what());
    return 1;
  }

  net::io_context ioc(1);
  metrics::Registry registry;
  OllamaMetrics metrics(registry);
  ModelLabels labels;
  LoadedModels models;
  ProxyConfig cfg;
  cfg.upstream_host = upstream.host;
  cfg.upstream_port = upstream.port;
  cfg.num_parallel = options.num_parallel > 0 ? options.num_parallel : parallel_from_env();
  cfg.upstream_timeout = options.upstream_timeout;
  cfg.inject_openai_usage = options.inject_openai_usage;
  Proxy proxy(ioc.get_executor(), cfg, registry, metrics, labels, models);

  tcp::acceptor acceptor(ioc);
  try {
    acceptor.open(listen.protocol());
    acceptor.set_option(net::socket_base::reuse_address(true));
    acceptor.bind(listen);
    acceptor.listen(net::socket_base::max_listen_connections);
  } catch (const std::exception& e) {
    spdlog::error("cannot listen on {}: {}", options.listen, e.what());
    return 1;
  }

  http::Client poll_client(ioc.get_executor(), upstream);
  PsPoller poller(poll_client, metrics, labels, models, options.poll_interval);

  const std::size_t max_connections = options.max_connections > 0 ? options.max_connections : default_max_connections();
  AcceptLoop accept_loop(acceptor, proxy, max_connections);
  spdlog::info("ollama-exporter listening on {} for {} (metrics on /metrics, {} parallel slot(s) per model, "
               "at most {} client connections, OpenAI usage {})",
               options.listen, upstream.describe(), cfg.num_parallel, max_connections,
               cfg.inject_openai_usage ? "injected into /v1 streams" : "as the clients ask");
  net::co_spawn(ioc, accept_loop.run(), net::detached);
  net::co_spawn(ioc, proxy.run_watchdog(), net::detached);
  net::co_spawn(ioc, poller.run(), net::detached);

  // Graceful shutdown: stop accepting, give running requests a grace period
  // (streams can last minutes, so it is bounded), then stop.
  net::signal_set signals(ioc, SIGINT, SIGTERM);
  net::steady_timer grace(ioc);
  signals.async_wait([&](const boost::system::error_code& ec, int sig) {
    if (ec) return;
    spdlog::info("signal {}: stopping, {} connection(s) open", sig, proxy.connections());
    boost::system::error_code ignored;
    acceptor.close(ignored);
    accept_loop.stop();
    grace.expires_after(std::chrono::seconds(5));
    grace.async_wait([&](const boost::system::error_code&) { ioc.stop(); });
    // Stop at once when nothing is in flight.
    auto check = std::make_shared<std::function<void()>>();
    *check = [&, check] {
      if (proxy.connections() == 0) ioc.stop();
    };
    net::post(ioc, *check);
  });
  ioc.run();
  proxy.on_connection_closed({});  // accept_loop goes before the io_context's pending frames do
  spdlog::info("ollama-exporter stopped");
  return 0;
}

}  // namespace stackd::exporter

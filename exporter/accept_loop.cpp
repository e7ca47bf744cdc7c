#include "exporter/accept_loop.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <spdlog/spdlog.h>

#include <sys/resource.h>

#include <algorithm>

#include "common/accept_backoff.hpp"

namespace stackd::exporter {

namespace net = boost::asio;

AcceptLoop::AcceptLoop(net::ip::tcp::acceptor& acceptor, Proxy& proxy, std::size_t max_connections)
    : acceptor_(acceptor), proxy_(proxy), max_connections_(std::max<std::size_t>(1, max_connections)),
      wake_(acceptor.get_executor()) {
  proxy_.on_connection_closed([this] { wake_.cancel(); });
}

net::awaitable<void> AcceptLoop::run() {
  constexpr auto use_tuple = net::as_tuple(net::use_awaitable);
  AcceptBackoff backoff;
  bool cap_logged = false;
  while (!stopped_) {
    if (proxy_.connections() >= max_connections_) {
      if (!cap_logged) {
        spdlog::warn("{} client connections open (--max-connections): new clients wait until one closes",
                     max_connections_);
        cap_logged = true;
      }
      wake_.expires_at(net::steady_timer::time_point::max());
      co_await wake_.async_wait(use_tuple);  // cancelled when a connection ends
      continue;
    }
    auto [ec, socket] = co_await acceptor_.async_accept(use_tuple);
    if (stopped_ || !acceptor_.is_open() || ec == net::error::operation_aborted) co_return;
    if (ec) {
      auto d = backoff.failed(AcceptBackoff::Clock::now());
      if (d.log_failures)
        spdlog::warn("accept failed: {} ({} time(s) since the last report); retrying with backoff up to {} ms, "
                     "{} connection(s) open",
                     ec.message(), *d.log_failures, AcceptBackoff::kMaxDelay.count(), proxy_.connections());
      wake_.expires_after(d.delay);
      co_await wake_.async_wait(use_tuple);  // also cancelled when a connection ends
      continue;
    }
    backoff.succeeded();
    net::co_spawn(acceptor_.get_executor(), proxy_.serve(std::move(socket)), net::detached);
  }
}

void AcceptLoop::stop() {
  stopped_ = true;
  wake_.cancel();
}

std::size_t default_max_connections() {
  rlimit rl{};
  if (getrlimit(RLIMIT_NOFILE, &rl) != 0 || rl.rlim_cur == RLIM_INFINITY) return 4096;
  auto fds = static_cast<std::size_t>(rl.rlim_cur);
  std::size_t reserve = 32;
  return std::clamp<std::size_t>(fds > reserve ? (fds - reserve) / 2 : 0, 16, 4096);
}

}  // namespace stackd::exporter

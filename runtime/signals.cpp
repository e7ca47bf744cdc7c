#include "runtime/signals.hpp"

#include <csignal>

namespace stackd::runtime {

SignalHandler::SignalHandler(net::any_io_executor executor, SignalCallbacks callbacks)
    : signals_(executor, SIGTERM, SIGINT, SIGHUP), callbacks_(std::move(callbacks)) {
  wait();
}

SignalHandler::~SignalHandler() { cancel(); }

void SignalHandler::cancel() {
  boost::system::error_code ignored;
  signals_.cancel(ignored);
  signals_.clear(ignored);
}

void SignalHandler::wait() {
  signals_.async_wait([this](boost::system::error_code ec, int signal) {
    if (ec) return;  // cancelled
    if (signal == SIGHUP) {
      if (callbacks_.on_resync) callbacks_.on_resync();
    } else if (++stops_ == 1) {
      if (callbacks_.on_stop) callbacks_.on_stop(signal);
    } else if (callbacks_.on_second_stop) {
      callbacks_.on_second_stop(signal);
    }
    wait();
  });
}

}  // namespace stackd::runtime

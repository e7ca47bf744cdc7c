#pragma once
// Process signals for `stackd run`, delivered on the io_context (so the
// callbacks may touch daemon state without locks):
//   SIGTERM, SIGINT → on_stop: finish or cancel in-flight work, leave the
//                     stack running, exit. A second one calls
//                     on_second_stop (the impatient operator), e.g. to exit
//                     at once.
//   SIGHUP          → on_resync: re-read the manifest and reconcile everything.
#include <boost/asio/signal_set.hpp>

#include <functional>

namespace stackd::runtime {

namespace net = boost::asio;

struct SignalCallbacks {
  std::function<void(int signal)> on_stop;
  std::function<void(int signal)> on_second_stop;  // optional
  std::function<void()> on_resync;
};

class SignalHandler {
 public:
  SignalHandler(net::any_io_executor executor, SignalCallbacks callbacks);
  ~SignalHandler();
  SignalHandler(const SignalHandler&) = delete;
  SignalHandler& operator=(const SignalHandler&) = delete;

  // Stops listening (the signals get their default action back); lets the
  // io_context run out of work.
  void cancel();
  int stop_signals_seen() const { return stops_; }

 private:
  void wait();
  net::signal_set signals_;
  SignalCallbacks callbacks_;
  int stops_ = 0;
};

}  // namespace stackd::runtime

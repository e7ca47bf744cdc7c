#include "runtime/signals.hpp"

#include <boost/asio/io_context.hpp>
#include <gtest/gtest.h>

#include <csignal>
#include <vector>

namespace stackd::runtime {
namespace {

using namespace std::chrono_literals;

// Runs the io_context until `done` or a second passes; raise() delivers
// synchronously to this process, asio hands it to the io_context.
void run_until(net::io_context& io, const std::function<bool()>& done) {
  const auto deadline = std::chrono::steady_clock::now() + 1s;
  while (!done() && std::chrono::steady_clock::now() < deadline) io.run_for(10ms);
}

TEST(SignalHandler, HupResyncsTermStopsAndASecondStopEscalates) {
  net::io_context io;
  int resyncs = 0;
  std::vector<int> stops, second_stops;
  SignalHandler handler(io.get_executor(), {.on_stop = [&](int s) { stops.push_back(s); },
                                            .on_second_stop = [&](int s) { second_stops.push_back(s); },
                                            .on_resync = [&] { ++resyncs; }});
  std::raise(SIGHUP);
  run_until(io, [&] { return resyncs == 1; });
  EXPECT_EQ(resyncs, 1);
  std::raise(SIGHUP);
  run_until(io, [&] { return resyncs == 2; });
  EXPECT_EQ(resyncs, 2);
  EXPECT_TRUE(stops.empty());

  std::raise(SIGTERM);
  run_until(io, [&] { return !stops.empty(); });
  EXPECT_EQ(stops, (std::vector<int>{SIGTERM}));
  std::raise(SIGINT);
  run_until(io, [&] { return !second_stops.empty(); });
  EXPECT_EQ(second_stops, (std::vector<int>{SIGINT}));
  EXPECT_EQ(handler.stop_signals_seen(), 2);
}

TEST(SignalHandler, CancelLetsTheIoContextFinish) {
  net::io_context io;
  SignalHandler handler(io.get_executor(), {});
  handler.cancel();
  io.run_for(1s);
  EXPECT_TRUE(io.stopped());  // no work left
}

}  // namespace
}  // namespace stackd::runtime

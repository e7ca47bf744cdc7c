#include "runtime/clock.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/system/system_error.hpp>

#include <algorithm>

namespace stackd::runtime {

void Timer::cancel() {
  if (!state_ || state_->cancelled || state_->fired) return;
  state_->cancelled = true;
  if (auto release = std::move(state_->on_cancel)) release();
}

bool Timer::pending() const { return state_ && !state_->cancelled && !state_->fired; }

Timer SystemClock::call_at(SteadyTime deadline, std::function<void()> callback) {
  auto state = std::make_shared<Timer::State>();
  auto timer = std::make_shared<net::steady_timer>(executor_, deadline);
  std::weak_ptr<net::steady_timer> weak = timer;
  // Cancelling releases the asio timer now instead of at its deadline, so a
  // cancelled hour-long resync does not linger.
  state->on_cancel = [weak] {
    if (auto t = weak.lock()) t->cancel();
  };
  timer->async_wait([timer, state, callback = std::move(callback)](boost::system::error_code ec) {
    if (ec || state->cancelled) return;
    state->fired = true;
    state->on_cancel = nullptr;
    callback();
  });
  return Timer(state);
}

DefaultRandom::DefaultRandom() : engine_(std::random_device{}()) {}

double DefaultRandom::uniform() { return std::uniform_real_distribution<double>(0.0, 1.0)(engine_); }

net::awaitable<void> sleep_until(Clock& clock, SteadyTime deadline) {
  if (deadline <= clock.now()) co_return;
  auto executor = co_await net::this_coro::executor;
  // The wait itself is an asio timer that never expires on its own: the
  // clock's callback cancels it when the deadline is reached, and the
  // coroutine's cancellation slot cancels it otherwise. Shared because the
  // clock may outlive this frame.
  auto wake = std::make_shared<net::steady_timer>(executor, net::steady_timer::time_point::max());
  auto reached = std::make_shared<bool>(false);
  Timer timer = clock.call_at(deadline, [wake, reached] {
    *reached = true;
    wake->cancel();
  });
  co_await wake->async_wait(net::as_tuple(net::use_awaitable));
  if (!*reached) {
    timer.cancel();
    throw boost::system::system_error(net::error::operation_aborted);
  }
}

net::awaitable<void> sleep_for(Clock& clock, Duration delay) { return sleep_until(clock, clock.now() + delay); }

Duration jittered(Duration d, double fraction, Random& random) {
  fraction = std::clamp(fraction, 0.0, 1.0);
  const double factor = 1.0 - fraction + 2.0 * fraction * random.uniform();
  return std::chrono::duration_cast<Duration>(std::chrono::duration<double, Duration::period>(d.count() * factor));
}

}  // namespace stackd::runtime

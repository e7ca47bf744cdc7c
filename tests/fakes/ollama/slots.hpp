#pragma once
// A loaded model's parallel request slots, the way Ollama's runner admits
// requests (llm/llama_server.go: Completion acquires the server's semaphore of
// OLLAMA_NUM_PARALLEL before it evaluates the prompt): up to parallel
// requests run per model, the rest wait in arrival order, without a bound
// (OLLAMA_MAX_QUEUE bounds only the scheduler's queue of requests that need a
// model load, see scheduler.hpp). Single-threaded (one io_context).
#include <boost/asio/awaitable.hpp>

#include <map>
#include <memory>
#include <string>

#include "tests/fakes/ollama/wait_queue.hpp"

namespace stackd::fakes {

class Slots {
 public:
  explicit Slots(int parallel) : parallel_(parallel) {}

  // A held slot; releasing it hands the slot to the next waiter.
  class Lease {
   public:
    Lease(Slots* s, std::string model) : slots_(s), model_(std::move(model)) {}
    Lease(const Lease&) = delete;
    ~Lease() { slots_->release(model_); }

   private:
    Slots* slots_;
    std::string model_;
  };

  boost::asio::awaitable<std::unique_ptr<Lease>> acquire(std::string model) {
    auto& m = models_[model];
    if (m.active < parallel_) {
      ++m.active;
    } else {
      co_await m.waiters.wait();  // the releaser passed its slot to us
    }
    co_return std::make_unique<Lease>(this, model);
  }

 private:
  void release(const std::string& model) {
    auto& m = models_[model];
    if (!m.waiters.wake_one()) --m.active;
  }

  struct PerModel {
    int active = 0;
    WaitQueue waiters;
  };
  int parallel_;
  std::map<std::string, PerModel> models_;
};

}  // namespace stackd::fakes

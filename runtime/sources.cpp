#include "runtime/sources.hpp"

#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <spdlog/spdlog.h>

#include "api/v1alpha1/labels.hpp"
#include "runtime/event_watcher.hpp"
#include "runtime/file_watcher.hpp"
#include "runtime/resync_timer.hpp"

namespace stackd::runtime {

// ---- file ------------------------------------------------------------------

FileSource::FileSource(net::any_io_executor executor, Clock& clock, Paths paths)
    : executor_(std::move(executor)), clock_(clock), paths_(std::move(paths)) {}

FileSource::~FileSource() { stop(); }

void FileSource::start(Enqueue enqueue) {
  watcher_ = std::make_unique<FileWatcher>(executor_, clock_, [enqueue] { enqueue.key(std::string(kManifestKey)); });
  watcher_->set_files(paths_(nullptr));
  watcher_->start();
}

void FileSource::stop() {
  if (watcher_) watcher_->stop();
}

void FileSource::snapshot_changed(const desired::Snapshot& snapshot) {
  if (watcher_) watcher_->set_files(paths_(&snapshot));
}

// ---- docker events -----------------------------------------------------------

DockerEventSource::DockerEventSource(net::any_io_executor executor, Clock& clock, Random& random, docker::Api& docker,
                                     metrics::Registry& registry)
    : executor_(std::move(executor)),
      clock_(clock),
      random_(random),
      docker_(docker),
      reconnects_(registry.counter("stackd_docker_event_stream_reconnects_total",
                                   "Times the Docker event stream was reopened after a loss.")) {}

DockerEventSource::~DockerEventSource() { stop(); }

void DockerEventSource::start(Enqueue enqueue) {
  EventCallbacks callbacks;
  callbacks.on_connected = [this, enqueue] {
    if (connects_++ > 0) reconnects_.get().inc();
    spdlog::info("docker event stream connected{}; re-listing", lost_ ? " again" : "");
    lost_ = false;
    enqueue.all();
  };
  callbacks.on_event = [enqueue](const std::string& key, const docker::Event& e) {
    spdlog::debug("docker event {} {} of {}", e.type, e.action, key);
    enqueue.component(key == kInfrastructureKey ? std::string() : key);
  };
  callbacks.on_disconnected = [this](const std::string& error, Duration retry_in) {
    // The change is worth a line; each attempt while the engine stays away is not.
    auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(retry_in).count();
    if (lost_) {
      spdlog::debug("docker event stream still down ({}); reconnecting in {} ms", error, ms);
      return;
    }
    lost_ = true;
    spdlog::warn("docker event stream lost: {}; reconnecting with backoff (logged again once it is back)", error);
  };
  EventWatcherConfig config;
  config.reconnect.cap = std::chrono::seconds(5);  // an engine restart should not leave drift for long
  // Subscribe to every stackd object: the stack's name can change under a
  // running daemon (set_stack follows it), and the old stack's events then
  // still reach the infrastructure reconciler that cleans it up.
  docker::Labels filter{{labels::kManagedBy, labels::kManagedByValue}};
  watcher_ = std::make_unique<EventWatcher>(clock_, random_, docker_event_stream(docker_, filter), config,
                                            std::move(callbacks));
  auto signal = std::make_shared<net::cancellation_signal>();
  cancel_ = signal;
  net::co_spawn(executor_, watcher_->run(), net::bind_cancellation_slot(signal->slot(), net::detached));
}

void DockerEventSource::stop() {
  // The signal stays alive with the source: the stream's coroutine still
  // touches its slot while it unwinds after the emit.
  if (auto signal = std::static_pointer_cast<net::cancellation_signal>(cancel_); signal && !stopped_) {
    stopped_ = true;
    signal->emit(net::cancellation_type::terminal);
  }
}

void DockerEventSource::snapshot_changed(const desired::Snapshot& snapshot) {
  if (watcher_) watcher_->set_stack(snapshot.manifest.name);
}

nlohmann::json DockerEventSource::status() const {
  return {{"connected", connected()}, {"reconnects", reconnects()}};
}

bool DockerEventSource::connected() const { return watcher_ && watcher_->connected(); }
std::uint64_t DockerEventSource::reconnects() const { return watcher_ ? watcher_->stats().reconnects : 0; }

// ---- resync --------------------------------------------------------------------

ResyncSource::ResyncSource(Clock& clock, Random& random, ResyncPolicy policy)
    : clock_(clock), random_(random), policy_(policy) {}

ResyncSource::~ResyncSource() { stop(); }

void ResyncSource::start(Enqueue enqueue) {
  timer_ = std::make_unique<ResyncTimer>(clock_, random_, policy_, [enqueue] {
    spdlog::info("periodic resync");
    // The manifest too: a file it references may have appeared since it was
    // invalid, and such a file is not watched yet.
    enqueue.key(std::string(kManifestKey));
    enqueue.all();
  });
  timer_->start();
}

void ResyncSource::stop() {
  if (timer_) timer_->stop();
}

}  // namespace stackd::runtime

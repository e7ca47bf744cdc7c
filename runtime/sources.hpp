#pragma once
// The sources every daemon has: the manifest file (and what it references),
// Docker events, the periodic resync. Each only adds keys (runtime/source.hpp).
#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "clients/docker/docker_api.hpp"
#include "common/metrics/metrics.hpp"
#include "runtime/clock.hpp"
#include "runtime/resync_timer.hpp"
#include "runtime/source.hpp"

namespace stackd::runtime {

class FileWatcher;
class EventWatcher;
class ResyncTimer;

// Edits of the manifest, of every file it references and of new files
// matching its globs → "manifest".
class FileSource final : public Source {
 public:
  using Paths = std::function<std::vector<std::filesystem::path>(const desired::Snapshot*)>;
  FileSource(net::any_io_executor executor, Clock& clock, Paths paths);
  ~FileSource() override;
  std::string_view name() const override { return "file"; }
  void start(Enqueue enqueue) override;
  void stop() override;
  void snapshot_changed(const desired::Snapshot& snapshot) override;

 private:
  net::any_io_executor executor_;
  Clock& clock_;
  Paths paths_;
  std::unique_ptr<FileWatcher> watcher_;
};

// Docker events of this stack's objects → the keys of their component;
// every (re)connect → every key (the stream is lossy: re-list).
class DockerEventSource final : public Source {
 public:
  DockerEventSource(net::any_io_executor executor, Clock& clock, Random& random, docker::Api& docker,
                    metrics::Registry& registry);
  ~DockerEventSource() override;
  std::string_view name() const override { return "docker-events"; }
  void start(Enqueue enqueue) override;
  void stop() override;
  void snapshot_changed(const desired::Snapshot& snapshot) override;
  nlohmann::json status() const override;
  // For /readyz: the engine answers.
  bool connected() const;
  std::uint64_t reconnects() const;

 private:
  net::any_io_executor executor_;
  Clock& clock_;
  Random& random_;
  docker::Api& docker_;
  metrics::CounterFamily& reconnects_;
  std::uint64_t connects_ = 0;
  bool lost_ = false;  // the stream is down: logged once, until it is back
  std::unique_ptr<EventWatcher> watcher_;
  std::shared_ptr<void> cancel_;  // the stream's cancellation signal
  bool stopped_ = false;
};

// Every key again, every policy.interval ± jitter (the manifest is re-read too).
class ResyncSource final : public Source {
 public:
  ResyncSource(Clock& clock, Random& random, ResyncPolicy policy);
  ~ResyncSource() override;
  std::string_view name() const override { return "resync"; }
  void start(Enqueue enqueue) override;
  void stop() override;

 private:
  Clock& clock_;
  Random& random_;
  ResyncPolicy policy_;
  std::unique_ptr<ResyncTimer> timer_;
};

}  // namespace stackd::runtime

#pragma once
// Everything that can say "look again": the manifest file watcher, the git
// source, Docker events, the resync timer, SIGHUP. A source only adds keys;
// the runtime neither knows nor cares which source added a key.
#include <nlohmann/json.hpp>

#include <functional>
#include <string>
#include <string_view>

#include "desired/snapshot.hpp"

namespace stackd::runtime {

// What a source calls. kAllKeys means "every key of every reconciler"
// (resync, reconnect); kManifestKey means "re-read the desired state".
struct Enqueue {
  std::function<void(const std::string& key)> key;
  std::function<void()> all;
  // "Something about this component's container changed" ("" for networks
  // and volumes): the runtime asks every reconciler which of its keys that
  // concerns (Reconciler::keys_for_component).
  std::function<void(const std::string& component)> component;
};

inline constexpr std::string_view kManifestKey = "manifest";

class Source {
 public:
  virtual ~Source() = default;
  virtual std::string_view name() const = 0;  // file | git | docker-events | resync | signals
  // Starts producing keys on the runtime's executor; throws if it cannot.
  virtual void start(Enqueue enqueue) = 0;
  // Stops producing keys; idempotent. Must return promptly.
  virtual void stop() = 0;
  // What /status shows under "sources"/<name>: revision, last error and since
  // when, ... Never a secret. Empty: nothing to show.
  virtual nlohmann::json status() const { return nlohmann::json::object(); }
  // A new snapshot is pinned (the file source watches what it references,
  // the event source follows a renamed stack).
  virtual void snapshot_changed(const desired::Snapshot& snapshot) { (void)snapshot; }
};

}  // namespace stackd::runtime

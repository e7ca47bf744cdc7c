#pragma once
// `stackd status` when no daemon answers: what the engine runs for the stack
// (or every stack stackd owns there), from the containers' labels and state:
// each component's container, its state and health, its spec hash (the
// dev.stackd.spec-hash label: which rendering of the manifest it runs) and
// image, and what the daemon record says (docs/daemon.md).
#include <nlohmann/json.hpp>

#include <optional>
#include <string>
#include <vector>

#include "clients/docker/docker_api.hpp"
#include "reconcilers/ownership/daemon_record.hpp"

namespace stackd::cli {

struct EngineComponent {
  std::string stack, component, container, id, state, health, spec_hash, image;
  int restart_count = 0;
};

struct EngineStack {
  std::string stack;
  std::vector<EngineComponent> components;  // by component name
  std::optional<ownership::DaemonRecord> daemon;  // the record, if any
  ownership::Probe daemon_probe;                   // whether it runs (when recorded)
};

// The stacks in `containers` (inspected, any labels), each with its
// components; only containers carrying stackd's labels with a component
// count; `stack` "" keeps every stack, else that one (listed even when the
// engine runs nothing of it).
std::vector<EngineStack> engine_stacks(const std::vector<docker::ContainerInfo>& containers, const std::string& stack);

// The answer for people: why no daemon answered (`no_daemon`), then per
// stack the daemon line and a table of components.
std::string format_engine_status(const std::string& no_daemon, const std::vector<EngineStack>& stacks);
// {"daemon": {"running": false, "reason": ...}, "stacks": [{"stack", "daemon": {...}|null,
//   "components": [{"name", "container", "containerId", "state", "health", "specHash", "image", "restartCount"}]}]}
nlohmann::json engine_status_json(const std::string& no_daemon, const std::vector<EngineStack>& stacks);

}  // namespace stackd::cli

#include "reconcilers/containers/plan.hpp"

#include <algorithm>
#include <set>
#include <sstream>

#include "api/v1alpha1/labels.hpp"
#include "common/tar_archive.hpp"
#include "common/when_all.hpp"
#include "clients/docker/delivered_file.hpp"
#include "desired/live_file_set.hpp"

namespace stackd::containers {

using namespace labels;  // the ownership labels of docs/manifest.md, "What stackd owns"

namespace net = boost::asio;

bool Plan::has(Action a) const {
  return std::any_of(changes.begin(), changes.end(), [a](const PlannedChange& p) { return p.action == a; });
}

std::vector<const PlannedChange*> Plan::conflicts() const {
  std::vector<const PlannedChange*> out;
  for (const auto& c : changes)
    if (c.action == Action::Conflict) out.push_back(&c);
  return out;
}

bool Plan::converged() const {
  return std::all_of(changes.begin(), changes.end(), [](const PlannedChange& p) { return !p.action; });
}

std::vector<runtime::Change> Plan::to_changes() const {
  std::vector<runtime::Change> out;
  for (const auto& c : changes) {
    if (!c.action) continue;
    runtime::Change change;
    change.object = c.object;
    change.name = c.name;
    change.action = *c.action;
    change.reason = c.reason;
    change.fields = c.fields;
    change.diff = c.diff;
    change.outside = c.outside;
    out.push_back(std::move(change));
  }
  return out;
}

std::vector<std::string> changed_parts(const std::string& parts_label, const std::map<std::string, std::string>& desired) {
  std::map<std::string, std::string> have;
  std::stringstream ss(parts_label);
  std::string item;
  while (std::getline(ss, item, ',')) {
    auto eq = item.find('=');
    if (eq != std::string::npos) have[item.substr(0, eq)] = item.substr(eq + 1);
  }
  std::vector<std::string> out;
  for (const auto& [k, v] : desired) {
    auto it = have.find(k);
    if (it == have.end()) out.push_back(k.rfind("file:", 0) == 0 ? k + " (new)" : k);
    else if (it->second != v) out.push_back(k);
  }
  for (const auto& [k, _] : have)
    if (!desired.count(k)) out.push_back(k + " (removed)");
  return out;
}

std::string next_name(const std::string& container_name) { return container_name + "-stackd-next"; }
std::string previous_name(const std::string& container_name) { return container_name + "-stackd-previous"; }

namespace {

std::string join(const std::vector<std::string>& v) {
  std::string out;
  for (const auto& s : v) out += (out.empty() ? "" : ", ") + s;
  return out;
}

std::string name_of(ComponentKind kind) { return std::string(manifest::to_string(kind)); }

// Networks are stack-wide: they carry managed-by and stack, no component.
bool network_owned_by(const docker::Labels& labels, const std::string& stack) {
  auto m = labels.find(kManagedBy);
  auto s = labels.find(kStack);
  return m != labels.end() && m->second == kManagedByValue && s != labels.end() && s->second == stack;
}

std::string label_or(const docker::Labels& labels, const char* key, const std::string& fallback) {
  auto it = labels.find(key);
  return it == labels.end() ? fallback : it->second;
}

// The engine's StartedAt of a container that never ran.
bool never_started(const std::string& started_at) { return started_at.empty() || started_at.rfind("0001-", 0) == 0; }

// Files of `files` that are not, by stat, what stackd delivered.
net::awaitable<std::size_t> undelivered_files(docker::Api& docker, const std::string& id,
                                              const std::vector<TarFile>& files) {
  std::size_t missing = 0;
  for (const auto& f : files) missing += !docker::delivered_as(co_await docker.stat_path(id, "/" + f.path), f);
  co_return missing;
}

const ContainerSpec& spec_of(const DesiredState& desired, ComponentKind component) {
  if (const auto* s = desired.container(component)) return *s;
  throw std::invalid_argument("component " + name_of(component) + " is not in the desired state of stack " +
                              desired.stack);
}

std::string foreign_volume(const std::string& stack) {
  return "a volume with this name exists and is not managed by stackd for stack " + stack + "; stackd will not adopt it";
}

// A container is (re)created only over data volumes that are this stack's:
// a foreign one of its name is a conflict shown in the plan. One that does
// not exist yet is the infrastructure key's to create first; the engine
// would otherwise create it itself, without stackd's labels.
net::awaitable<std::vector<PlannedChange>> foreign_volumes(docker::Api& docker, const DesiredState& desired,
                                                           ComponentKind component) {
  std::vector<PlannedChange> blockers;
  for (const auto& v : desired.volumes) {
    if (v.component != component) continue;
    auto have = co_await docker.inspect_volume(v.name);
    if (have && !owned_by(have->labels, desired.stack, name_of(component)))
      blockers.push_back({ObjectKind::Volume, v.name, Action::Conflict, component, foreign_volume(desired.stack), "", {}, false});
  }
  co_return blockers;
}

// What a recreate changes: from the applied-spec label, or (a container of
// an earlier stackd) the names of the parts whose digests differ.
std::pair<std::string, std::vector<runtime::FieldChange>> what_changed(const docker::Labels& labels,
                                                                       const ContainerSpec& spec) {
  const auto applied = label_or(labels, kAppliedSpec, "");
  if (!applied.empty()) {
    auto old_doc = nlohmann::json::parse(applied, nullptr, /*allow_exceptions=*/false);
    auto new_doc = nlohmann::json::parse(spec.create_body["Labels"].value(kAppliedSpec, std::string("{}")), nullptr, false);
    if (!old_doc.is_discarded() && !new_doc.is_discarded()) {
      auto fields = spec_changes(old_doc, new_doc);
      std::vector<std::string> paths;
      for (const auto& f : fields) paths.push_back(f.path);
      return {fields.empty() ? "spec changed" : "changed: " + join(paths), fields};
    }
  }
  auto parts = changed_parts(label_or(labels, kSpecParts, ""), spec.spec_parts);
  return {parts.empty() ? "spec changed" : "changed: " + join(parts) + " (created by an earlier stackd: old values unknown)", {}};
}

// What a recreate delivers in place of what the container holds now: the
// diffs of its live files that differ (read only for a recreate).
net::awaitable<std::string> live_files_diff(docker::Api& docker, const DesiredState& desired, const ContainerSpec& spec,
                                            const std::string& id) {
  std::string out;
  for (const auto& set : desired.live_files) {
    if (set.component != spec.component) continue;
    std::vector<TarFile> held;
    if (auto archive = co_await docker.get_archive(id, set.dir))
      held = docker::rebase_archive_members(read_tar(*archive), set.dir);
    for (const auto& d : desired::live_file_deltas(set, held))
      out += "file " + d.source + (d.is_new ? " (new)" : "") + ":\n" + d.diff;
  }
  co_return out;
}

// A missing container was there before when another container of the stack
// was created beside it (the stack-components label of those containers):
// it was removed outside stackd, not added to the manifest since.
net::awaitable<bool> removed_outside(docker::Api& docker, const DesiredState& desired, ComponentKind component) {
  const auto stack = co_await docker.list_containers(owner_labels(desired.stack), true);
  for (const auto& c : stack) {
    const auto peers = "," + label_or(c.labels, kStackComponents, "") + ",";
    if (peers.find("," + name_of(component) + ",") != std::string::npos) co_return true;
  }
  co_return false;
}

}  // namespace

net::awaitable<Plan> make_component_plan(docker::Api& docker, const DesiredState& desired, ComponentKind component) {
  const auto& spec = spec_of(desired, component);
  const auto name = name_of(component);
  Plan plan;
  auto labels = owner_labels(desired.stack);
  labels[kComponent] = name;
  auto mine = co_await docker.list_containers(labels, true);

  // Sort out what an interrupted recreate or a person left: the container
  // holding the canonical name is the one; a `-stackd-next` is the unfinished
  // replacement of a recreate whose process died (its files may be partial,
  // so it is never adopted: removed, and the plan proceeds from the rest);
  // anything else of this component is a duplicate.
  const docker::ContainerSummary* current = nullptr;
  std::vector<const docker::ContainerSummary*> others;
  for (const auto& c : mine) {
    if (!owned_by(c.labels, desired.stack, name)) continue;  // the engine's filter, checked again
    if (c.name == spec.name) current = &c;
    else others.push_back(&c);
  }
  for (const auto* c : others) {
    const bool next = c->name == next_name(spec.name), previous = c->name == previous_name(spec.name);
    if (!current && !next) {
      // Ours but under another name: the container a recreate killed midway
      // had set aside, or one renamed by hand: recreated under its own.
      current = c;
      continue;
    }
    plan.changes.push_back({ObjectKind::Container, c->name, Action::Delete, component,
                            next       ? "left over from an interrupted recreate"
                            : previous ? "replaced by a recreate that was interrupted"
                                       : "duplicate of " + spec.name,
                            c->id, {}, !next && !previous});
  }

  if (!current) {
    auto holder = co_await docker.inspect_container(spec.name);
    if (holder && holder->name == spec.name) {
      plan.changes.push_back({ObjectKind::Container, spec.name, Action::Conflict, component,
                              "container " + spec.name + " (id " + holder->id.substr(0, 12) +
                                  ") exists and is not managed by stackd for this stack; stackd leaves it alone — "
                                  "remove or rename it",
                              holder->id, {}, false});
    } else {
      const bool outside = co_await removed_outside(docker, desired, component);
      plan.changes.push_back({ObjectKind::Container, spec.name, Action::Create, component,
                              outside ? "removed outside stackd" : "missing", "", {}, outside});
      auto blockers = co_await foreign_volumes(docker, desired, component);
      plan.changes.insert(plan.changes.end(), blockers.begin(), blockers.end());
    }
    co_return plan;
  }

  const auto& c = *current;
  std::string state = c.state;
  std::optional<docker::ContainerInfo> info;
  if (state == "running" || state == "exited" || state == "created") {
    // The engine's list is a view it updates only after announcing a death
    // (the die event comes first): a pass woken by that event can still see
    // "running" there and miss the death. Inspect reads the container itself.
    info = co_await docker.inspect_container(c.id);
    if (info) state = info->state.status;
  }
  PlannedChange change{ObjectKind::Container, spec.name, std::nullopt, component, "", c.id, {}, false};
  if (label_or(c.labels, kSpecHash, "") != spec.spec_hash) {
    change.action = Action::Recreate;
    std::tie(change.reason, change.fields) = what_changed(c.labels, spec);
  } else if (c.name == previous_name(spec.name)) {
    change.action = Action::Recreate;
    change.reason = "set aside by a recreate that was interrupted";
  } else if (c.name != spec.name) {
    change.action = Action::Recreate;
    change.reason = "renamed to " + c.name + " outside stackd";
    change.outside = true;
  } else if (state == "removing") {
    // Someone removes it right now: its destroy event triggers the next pass.
    change.reason = "being removed";
  } else if (state != "running") {
    change.action = Action::Start;
    change.outside = true;
    change.reason = state == "exited" && info ? "exited with code " + std::to_string(info->state.exit_code)
                                              : "state is " + state;
    if (state == "created" && info && never_started(info->state.started_at)) {
      // Never started: a process that died between create and start (or a
      // recreate between rename and start) may not have delivered all its
      // files. Starting it without them would run the wrong thing.
      auto all = spec.files;
      for (auto& f : desired.live_files_of(component)) all.push_back(std::move(f));
      if (auto missing = co_await undelivered_files(docker, c.id, all); missing > 0) {
        change.action = Action::Recreate;
        change.outside = false;
        change.reason = "created but its files were not all delivered (" + std::to_string(missing) + ")";
      } else if (auto refusal = docker::devices_refusal(info->state.error)) {
        // The engine refused it its devices: tried again, since the engine
        // may have them now (a GPU container's toolkit installed since).
        change.outside = false;
        change.reason = "created; its last start was refused: " + *refusal;
      } else {
        change.outside = false;
        change.reason = "created, never started";
      }
    }
  }
  if (change.action == Action::Recreate) {
    change.diff = co_await live_files_diff(docker, desired, spec, c.id);
    auto blockers = co_await foreign_volumes(docker, desired, component);
    plan.changes.insert(plan.changes.end(), blockers.begin(), blockers.end());
  }
  // The container itself first: apply acts on it before removing leftovers.
  plan.changes.insert(plan.changes.begin(), change);
  co_return plan;
}

net::awaitable<Plan> make_infrastructure_plan(docker::Api& docker, const DesiredState& desired) {
  Plan plan;
  auto owner = owner_labels(desired.stack);

  // Every read at once: each is a round trip to the engine, and none
  // depends on another (a no-op apply is mostly these waits).
  std::optional<docker::NetworkInfo> named;
  std::vector<docker::NetworkInfo> networks;
  std::vector<std::optional<docker::VolumeInfo>> volumes(desired.volumes.size());
  std::vector<docker::ContainerSummary> containers;
  {
    std::vector<net::awaitable<void>> reads;
    if (desired.network)
      reads.push_back([](docker::Api& d, std::string name, std::optional<docker::NetworkInfo>& out) -> net::awaitable<void> {
        out = co_await d.inspect_network(name);
      }(docker, *desired.network, named));
    reads.push_back([](docker::Api& d, docker::Labels owner, std::vector<docker::NetworkInfo>& out) -> net::awaitable<void> {
      out = co_await d.list_networks(owner);
    }(docker, owner, networks));
    for (std::size_t i = 0; i < desired.volumes.size(); ++i)
      reads.push_back([](docker::Api& d, std::string name, std::optional<docker::VolumeInfo>& out) -> net::awaitable<void> {
        out = co_await d.inspect_volume(name);
      }(docker, desired.volumes[i].name, volumes[i]));
    reads.push_back([](docker::Api& d, docker::Labels owner, std::vector<docker::ContainerSummary>& out) -> net::awaitable<void> {
      out = co_await d.list_containers(owner, true);
    }(docker, owner, containers));
    co_await when_all(std::move(reads));
  }

  // Network
  if (desired.network) {
    if (!named) plan.changes.push_back({ObjectKind::Network, *desired.network, Action::Create, {}, "missing", "", {}, false});
    else if (!network_owned_by(named->labels, desired.stack))
      plan.changes.push_back({ObjectKind::Network, *desired.network, Action::Conflict, {},
                              "a network with this name exists and is not managed by stackd for stack " + desired.stack +
                                  " (id " + named->id.substr(0, 12) + "); remove it or choose another spec.network",
                              named->id, {}, false});
    else plan.changes.push_back({ObjectKind::Network, *desired.network, std::nullopt, {}, "", named->id, {}, false});
  }
  for (const auto& n : networks)
    if (network_owned_by(n.labels, desired.stack) && (!desired.network || n.name != *desired.network))
      plan.changes.push_back({ObjectKind::Network, n.name, Action::Delete, {}, "no longer in the manifest", n.id, {}, false});

  // Volumes: created when missing; an owned volume no longer used is kept (data).
  for (std::size_t i = 0; i < desired.volumes.size(); ++i) {
    const auto& v = desired.volumes[i];
    const auto& have = volumes[i];
    if (!have) plan.changes.push_back({ObjectKind::Volume, v.name, Action::Create, v.component, "missing", "", {}, false});
    else if (!owned_by(have->labels, desired.stack, name_of(v.component)))
      plan.changes.push_back({ObjectKind::Volume, v.name, Action::Conflict, v.component, foreign_volume(desired.stack), "", {}, false});
    else plan.changes.push_back({ObjectKind::Volume, v.name, std::nullopt, v.component, "", "", {}, false});
  }

  // Containers of components no longer desired. One without a component
  // label is not stackd's (its label set is incomplete): left alone.
  std::set<std::string> wanted;
  for (const auto& spec : desired.containers) wanted.insert(name_of(spec.component));
  for (const auto& c : containers) {
    auto component = label_or(c.labels, kComponent, "");
    if (!owned_by(c.labels, desired.stack, component) || wanted.count(component)) continue;
    plan.changes.push_back({ObjectKind::Container, c.name, Action::Delete, manifest::component_kind_named(component),
                            "no longer in the manifest", c.id, {}, false});
  }
  co_return plan;
}

net::awaitable<Plan> make_plan(docker::Api& docker, const DesiredState& desired) {
  auto infra = co_await make_infrastructure_plan(docker, desired);
  Plan plan;
  for (const auto& c : infra.changes)
    if (c.object != ObjectKind::Container) plan.changes.push_back(c);
  for (const auto& spec : desired.containers) {
    auto part = co_await make_component_plan(docker, desired, spec.component);
    // Its volumes are the infrastructure plan's to list.
    for (auto& c : part.changes)
      if (c.object != ObjectKind::Volume) plan.changes.push_back(std::move(c));
  }
  for (const auto& c : infra.changes)
    if (c.object == ObjectKind::Container) plan.changes.push_back(c);
  co_return plan;
}

net::awaitable<Plan> make_down_plan(docker::Api& docker, const std::string& stack, bool remove_volumes) {
  Plan plan;
  auto owner = owner_labels(stack);
  for (const auto& c : co_await docker.list_containers(owner, true)) {
    auto component = label_or(c.labels, kComponent, "");
    if (owned_by(c.labels, stack, component))
      plan.changes.push_back({ObjectKind::Container, c.name, Action::Delete, manifest::component_kind_named(component),
                              "stack " + stack + " goes", c.id, {}, false});
    else if (labels::config_check_of(c.labels, stack))  // left by an apply killed mid-check
      plan.changes.push_back({ObjectKind::Container, c.name, Action::Delete, {}, "a config check's leftover", c.id, {},
                              false});
  }
  for (const auto& n : co_await docker.list_networks(owner))
    if (network_owned_by(n.labels, stack))
      plan.changes.push_back({ObjectKind::Network, n.name, Action::Delete, {}, "stack " + stack + " goes", n.id, {}, false});
  for (const auto& v : co_await docker.list_volumes(owner)) {
    auto component = label_or(v.labels, kComponent, "");
    if (!owned_by(v.labels, stack, component)) continue;
    auto kind = manifest::component_kind_named(component);
    if (remove_volumes)
      plan.changes.push_back({ObjectKind::Volume, v.name, Action::Delete, kind, "--volumes", "", {}, false});
    else
      plan.changes.push_back({ObjectKind::Volume, v.name, Action::Keep, kind, "data kept; --volumes removes it", "", {}, false});
  }
  co_return plan;
}

}  // namespace stackd::containers

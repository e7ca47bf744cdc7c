#include "reconcilers/containers/plan.hpp"

#include <algorithm>
#include <set>
#include <sstream>

#include "common/tar_archive.hpp"
#include "common/when_all.hpp"
#include "api/v1alpha1/labels.hpp"
#include "reconcilers/live_config/live_config_reloader.hpp"  // delivered_as: a file as stackd delivered it, by stat

namespace stackd::containers {

using namespace labels;  // the ownership labels of docs/manifest.md, "What stackd owns"

namespace net = boost::asio;

const char* to_string(Change c) {
  switch (c) {
    case Change::Create: return "create";
    case Change::Recreate: return "recreate";
    case Change::Start: return "start";
    case Change::Reload: return "reload";
    case Change::Remove: return "remove";
    case Change::Unchanged: return "unchanged";
    case Change::Conflict: return "conflict";
  }
  return "?";
}

bool Plan::has(Change c) const {
  return std::any_of(changes.begin(), changes.end(), [c](const PlannedChange& p) { return p.change == c; });
}

std::vector<const PlannedChange*> Plan::conflicts() const {
  std::vector<const PlannedChange*> out;
  for (const auto& c : changes)
    if (c.change == Change::Conflict) out.push_back(&c);
  return out;
}

bool Plan::converged() const {
  return std::all_of(changes.begin(), changes.end(), [](const PlannedChange& p) { return p.change == Change::Unchanged; });
}

nlohmann::json Plan::to_json() const {
  nlohmann::json arr = nlohmann::json::array();
  for (const auto& c : changes) {
    nlohmann::json j = {{"action", to_string(c.change)}, {"kind", c.kind}, {"name", c.name}, {"reason", c.reason}};
    if (!c.component.empty()) j["component"] = c.component;
    if (!c.existing_id.empty()) j["id"] = c.existing_id.substr(0, 12);
    arr.push_back(j);
  }
  return {{"changes", arr}, {"converged", converged()}};
}

std::string Plan::to_text() const {
  std::ostringstream out;
  for (const auto& c : changes) {
    std::string action = to_string(c.change);
    out << "  " << action << std::string(action.size() < 10 ? 10 - action.size() : 1, ' ') << c.kind << " " << c.name;
    if (!c.reason.empty()) out << ": " << c.reason;
    out << "\n";
  }
  return out.str();
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

namespace {

std::string join(const std::vector<std::string>& v) {
  std::string out;
  for (const auto& s : v) out += (out.empty() ? "" : ", ") + s;
  return out;
}

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
net::awaitable<std::vector<const TarFile*>> unconfirmed_files(docker::Api& docker, const std::string& id,
                                                              const std::vector<TarFile>& files) {
  std::vector<const TarFile*> out;
  for (const auto& f : files)
    if (!live_config::delivered_as(co_await docker.stat_path(id, "/" + f.path), f)) out.push_back(&f);
  co_return out;
}

// Live files that differ from what the running container holds. Stats every
// file (about a millisecond each); downloads only those whose stat differs,
// to compare content (a file touched but unchanged is not stale).
net::awaitable<std::vector<std::string>> stale_live_files(docker::Api& docker, const std::string& id,
                                                          const std::vector<TarFile>& files) {
  std::vector<std::string> stale;
  for (const auto* f : co_await unconfirmed_files(docker, id, files)) {
    auto tar = co_await docker.get_archive(id, "/" + f->path);
    bool same = false;
    if (tar) {
      // GET archive of a file holds one member named by its base name.
      auto members = read_tar(*tar);
      same = members.size() == 1 && members[0].content == f->content;
    }
    if (!same) stale.push_back("/" + f->path);
  }
  co_return stale;
}

const ContainerSpec& spec_of(const DesiredState& desired, const std::string& component) {
  for (const auto& s : desired.containers)
    if (s.component == component) return s;
  throw std::invalid_argument("component " + component + " is not in the desired state of stack " + desired.stack);
}

std::string foreign_volume(const std::string& stack) {
  return "a volume with this name exists and is not managed by stackd for stack " + stack + "; stackd will not adopt it";
}

// A container is (re)created only over data volumes that exist and are this
// stack's: the engine would otherwise create a missing one itself, without
// stackd's labels, and every later pass would refuse it as foreign. The
// infrastructure pass creates them; until it has, the component waits.
net::awaitable<std::vector<PlannedChange>> unmountable_volumes(docker::Api& docker, const DesiredState& desired,
                                                               const std::string& component) {
  std::vector<PlannedChange> blockers;
  for (const auto& v : desired.volumes) {
    if (v.component != component) continue;
    auto have = co_await docker.inspect_volume(v.name);
    if (!have)
      blockers.push_back({Change::Conflict, "volume", v.name, component,
                          "volume " + v.name + " does not exist yet: stackd creates it with its labels before " +
                              "anything mounts it (the infrastructure pass has not succeeded)",
                          ""});
    else if (!owned_by(have->labels, desired.stack, component))
      blockers.push_back({Change::Conflict, "volume", v.name, component, foreign_volume(desired.stack), ""});
  }
  co_return blockers;
}

}  // namespace

net::awaitable<Plan> make_component_plan(docker::Api& docker, const DesiredState& desired, const std::string& component,
                                         OwnedLiveFiles owned_live_files) {
  const auto& spec = spec_of(desired, component);
  Plan plan;
  auto labels = owner_labels(desired.stack);
  labels[kComponent] = component;
  auto mine = co_await docker.list_containers(labels, true);

  // Sort out what an interrupted recreate or a person left: the container
  // holding the canonical name is the one; a `-stackd-next` is the unfinished
  // replacement of a recreate whose process died (its files may be partial,
  // so it is never adopted: removed, and the plan proceeds from the rest);
  // anything else of this component is a duplicate.
  const docker::ContainerSummary* current = nullptr;
  std::vector<const docker::ContainerSummary*> others;
  for (const auto& c : mine) {
    if (!owned_by(c.labels, desired.stack, component)) continue;  // the engine's filter, checked again
    if (c.name == spec.name) current = &c;
    else others.push_back(&c);
  }
  for (const auto* c : others) {
    bool leftover = c->name == next_name(spec.name);
    if (!current && !leftover) {
      // Ours but under another name (renamed by hand): recreated under its own.
      current = c;
      continue;
    }
    plan.changes.push_back({Change::Remove, "container", c->name, component,
                            leftover ? "left over from an interrupted recreate" : "duplicate of " + spec.name, c->id});
  }

  if (!current) {
    auto holder = co_await docker.inspect_container(spec.name);
    if (holder && holder->name == spec.name) {
      plan.changes.push_back({Change::Conflict, "container", spec.name, component,
                              "container " + spec.name + " (id " + holder->id.substr(0, 12) +
                                  ") exists and is not managed by stackd for this stack; stackd leaves it alone — "
                                  "remove or rename it",
                              holder->id});
    } else {
      plan.changes.push_back({Change::Create, "container", spec.name, component, "missing", ""});
      auto blockers = co_await unmountable_volumes(docker, desired, component);
      plan.changes.insert(plan.changes.end(), blockers.begin(), blockers.end());
    }
    co_return plan;
  }

  const auto& c = *current;
  std::string state = c.state;
  if (state == "running") {
    // The engine's list is a view it updates only after announcing a death
    // (the die event comes first): a pass woken by that event can still see
    // "running" there and miss the death. Inspect reads the container itself.
    if (auto info = co_await docker.inspect_container(c.id)) state = info->state.status;
  }
  auto hash = label_or(c.labels, kSpecHash, "");
  PlannedChange change{Change::Unchanged, "container", spec.name, component, "", c.id};
  if (hash != spec.spec_hash) {
    auto parts = changed_parts(label_or(c.labels, kSpecParts, ""), spec.spec_parts);
    change.change = Change::Recreate;
    change.reason = parts.empty() ? "spec changed" : "changed: " + join(parts);
  } else if (c.name != spec.name) {
    change.change = Change::Recreate;
    change.reason = "renamed to " + c.name;
  } else if (state == "removing") {
    // Someone removes it right now: its destroy event triggers the next pass.
    change.reason = "being removed";
  } else if (state != "running") {
    change.change = Change::Start;
    change.reason = "state is " + state;
    if (state == "created") {
      // Never started: a process that died between create and start (or a
      // recreate between rename and start) may not have delivered all its
      // files. Starting it without them would run the wrong thing.
      auto info = co_await docker.inspect_container(c.id);
      if (info && never_started(info->state.started_at)) {
        auto all = spec.files;
        all.insert(all.end(), spec.live_files.begin(), spec.live_files.end());
        auto missing = co_await unconfirmed_files(docker, c.id, all);
        if (!missing.empty()) {
          change.change = Change::Recreate;
          change.reason = "created but its files were not all delivered (" + std::to_string(missing.size()) + ")";
        }
      }
    }
  } else if (spec.live_files_reconciler.empty() || owned_live_files == OwnedLiveFiles::Plan) {
    auto stale = co_await stale_live_files(docker, c.id, spec.live_files);
    if (!stale.empty()) {
      change.change = Change::Reload;
      change.reason = "files changed: " + join(stale);
    }
  }
  if (change.change == Change::Recreate) {
    auto blockers = co_await unmountable_volumes(docker, desired, component);
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
    if (!named) plan.changes.push_back({Change::Create, "network", *desired.network, "", "missing", ""});
    else if (!network_owned_by(named->labels, desired.stack))
      plan.changes.push_back({Change::Conflict, "network", *desired.network, "",
                              "a network with this name exists and is not managed by stackd for stack " + desired.stack +
                                  " (id " + named->id.substr(0, 12) + "); remove it or choose another spec.network",
                              named->id});
    else plan.changes.push_back({Change::Unchanged, "network", *desired.network, "", "", named->id});
  }
  for (const auto& n : networks)
    if (network_owned_by(n.labels, desired.stack) && (!desired.network || n.name != *desired.network))
      plan.changes.push_back({Change::Remove, "network", n.name, "", "no longer in the manifest", n.id});

  // Volumes: created when missing; an owned volume no longer used is kept (data).
  for (std::size_t i = 0; i < desired.volumes.size(); ++i) {
    const auto& v = desired.volumes[i];
    const auto& have = volumes[i];
    if (!have) plan.changes.push_back({Change::Create, "volume", v.name, v.component, "missing", ""});
    else if (!owned_by(have->labels, desired.stack, v.component))
      plan.changes.push_back({Change::Conflict, "volume", v.name, v.component, foreign_volume(desired.stack), ""});
    else plan.changes.push_back({Change::Unchanged, "volume", v.name, v.component, "", ""});
  }

  // Containers of components no longer desired. One without a component
  // label is not stackd's (its label set is incomplete): left alone.
  std::set<std::string> wanted;
  for (const auto& spec : desired.containers) wanted.insert(spec.component);
  for (const auto& c : containers) {
    auto component = label_or(c.labels, kComponent, "");
    if (!owned_by(c.labels, desired.stack, component) || wanted.count(component)) continue;
    plan.changes.push_back({Change::Remove, "container", c.name, component, "no longer in the manifest", c.id});
  }
  co_return plan;
}

net::awaitable<Plan> make_plan(docker::Api& docker, const DesiredState& desired) {
  auto infra = co_await make_infrastructure_plan(docker, desired);
  Plan plan;
  for (const auto& c : infra.changes)
    if (c.kind != "container") plan.changes.push_back(c);
  for (const auto& spec : desired.containers) {
    auto part = co_await make_component_plan(docker, desired, spec.component);
    // Its volumes are the infrastructure plan's to list.
    for (auto& c : part.changes)
      if (c.kind != "volume") plan.changes.push_back(std::move(c));
  }
  for (const auto& c : infra.changes)
    if (c.kind == "container") plan.changes.push_back(c);
  co_return plan;
}

net::awaitable<Plan> make_down_plan(docker::Api& docker, const std::string& stack, bool remove_volumes) {
  Plan plan;
  auto owner = owner_labels(stack);
  for (const auto& c : co_await docker.list_containers(owner, true)) {
    auto component = label_or(c.labels, kComponent, "");
    if (owned_by(c.labels, stack, component))
      plan.changes.push_back({Change::Remove, "container", c.name, component, "down", c.id});
  }
  for (const auto& n : co_await docker.list_networks(owner))
    if (network_owned_by(n.labels, stack)) plan.changes.push_back({Change::Remove, "network", n.name, "", "down", n.id});
  for (const auto& v : co_await docker.list_volumes(owner)) {
    auto component = label_or(v.labels, kComponent, "");
    if (!owned_by(v.labels, stack, component)) continue;
    if (remove_volumes) plan.changes.push_back({Change::Remove, "volume", v.name, component, "down --volumes", ""});
    else plan.changes.push_back({Change::Unchanged, "volume", v.name, component, "kept (data); use --volumes to remove", ""});
  }
  co_return plan;
}

}  // namespace stackd::containers

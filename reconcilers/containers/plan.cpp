#include "reconcilers/containers/plan.hpp"

#include <algorithm>
#include <set>
#include <sstream>

#include "common/tar_archive.hpp"
#include "api/v1alpha1/labels.hpp"

namespace stackd::containers {

using namespace labels;  // the ownership labels of design.md §3

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

namespace {

std::string join(const std::vector<std::string>& v) {
  std::string out;
  for (const auto& s : v) out += (out.empty() ? "" : ", ") + s;
  return out;
}

bool owned_by(const docker::Labels& labels, const std::string& stack) {
  auto m = labels.find(kManagedBy);
  auto s = labels.find(kStack);
  return m != labels.end() && m->second == kManagedByValue && s != labels.end() && s->second == stack;
}

std::string label_or(const docker::Labels& labels, const char* key, const std::string& fallback) {
  auto it = labels.find(key);
  return it == labels.end() ? fallback : it->second;
}

// Live files that differ from what the running container holds.
net::awaitable<std::vector<std::string>> stale_live_files(docker::Api& docker, const std::string& id,
                                                          const std::vector<TarFile>& files) {
  std::vector<std::string> stale;
  std::map<std::string, std::vector<const TarFile*>> by_dir;
  for (const auto& f : files) {
    auto slash = f.path.find_last_of('/');
    by_dir["/" + (slash == std::string::npos ? "" : f.path.substr(0, slash))].push_back(&f);
  }
  for (const auto& [dir, wanted] : by_dir) {
    auto tar = co_await docker.get_archive(id, dir);
    std::map<std::string, std::string> have;
    if (tar) {
      // GET archive names members relative to the directory's parent: "<dirname>/file".
      auto base = dir.substr(dir.find_last_of('/') + 1);
      for (auto& f : read_tar(*tar)) {
        auto rel = f.path.rfind(base + "/", 0) == 0 ? f.path.substr(base.size() + 1) : f.path;
        have[rel] = std::move(f.content);
      }
    }
    for (const auto* f : wanted) {
      auto name = f->path.substr(dir.size());  // dir has a leading '/', f->path does not
      auto it = have.find(name);
      if (it == have.end() || it->second != f->content) stale.push_back("/" + f->path);
    }
  }
  co_return stale;
}

}  // namespace

net::awaitable<Plan> make_plan(docker::Api& docker, const DesiredState& desired) {
  Plan plan;
  auto owner = owner_labels(desired.stack);

  // Network
  auto owned_networks = co_await docker.list_networks(owner);
  if (desired.network) {
    auto net = co_await docker.inspect_network(*desired.network);
    if (!net) plan.changes.push_back({Change::Create, "network", *desired.network, "", "missing", ""});
    else if (!owned_by(net->labels, desired.stack))
      plan.changes.push_back({Change::Conflict, "network", *desired.network, "",
                              "a network with this name exists and is not managed by stackd for stack " + desired.stack +
                                  " (id " + net->id.substr(0, 12) + "); remove it or choose another spec.network",
                              net->id});
    else plan.changes.push_back({Change::Unchanged, "network", *desired.network, "", "", net->id});
  }
  for (const auto& n : owned_networks)
    if (!desired.network || n.name != *desired.network)
      plan.changes.push_back({Change::Remove, "network", n.name, "", "no longer in the manifest", n.id});

  // Volumes: created when missing; an owned volume no longer used is kept (data).
  for (const auto& v : desired.volumes) {
    auto have = co_await docker.inspect_volume(v.name);
    if (!have) plan.changes.push_back({Change::Create, "volume", v.name, v.component, "missing", ""});
    else if (!owned_by(have->labels, desired.stack))
      plan.changes.push_back({Change::Conflict, "volume", v.name, v.component,
                              "a volume with this name exists and is not managed by stackd for stack " + desired.stack +
                                  "; stackd will not adopt it",
                              ""});
    else plan.changes.push_back({Change::Unchanged, "volume", v.name, v.component, "", ""});
  }

  // Containers
  auto owned = co_await docker.list_containers(owner, true);
  std::set<std::string> matched;
  for (const auto& spec : desired.containers) {
    std::vector<const docker::ContainerSummary*> mine;
    for (const auto& c : owned) {
      if (label_or(c.labels, kComponent, "") != spec.component) continue;
      // The replacement a Recreate is building right now: not a duplicate,
      // not an orphan. A stale one is removed by the next Recreate.
      if (c.name == spec.name + "-stackd-next") {
        matched.insert(c.id);
        continue;
      }
      mine.push_back(&c);
    }
    // Prefer the one holding the canonical name; others are leftovers.
    std::stable_sort(mine.begin(), mine.end(), [&](auto* a, auto* b) { return (a->name == spec.name) > (b->name == spec.name); });
    for (std::size_t i = 1; i < mine.size(); ++i) {
      plan.changes.push_back({Change::Remove, "container", mine[i]->name, spec.component, "duplicate of " + spec.name, mine[i]->id});
      matched.insert(mine[i]->id);
    }
    if (mine.empty()) {
      auto holder = co_await docker.inspect_container(spec.name);
      if (holder) {
        plan.changes.push_back({Change::Conflict, "container", spec.name, spec.component,
                                "container " + spec.name + " (id " + holder->id.substr(0, 12) +
                                    ") exists and is not managed by stackd for this stack; stackd leaves it alone — "
                                    "remove or rename it",
                                holder->id});
      } else {
        plan.changes.push_back({Change::Create, "container", spec.name, spec.component, "missing", ""});
      }
      continue;
    }
    const auto& c = *mine.front();
    matched.insert(c.id);
    auto hash = label_or(c.labels, kSpecHash, "");
    if (hash != spec.spec_hash) {
      auto parts = changed_parts(label_or(c.labels, kSpecParts, ""), spec.spec_parts);
      plan.changes.push_back({Change::Recreate, "container", spec.name, spec.component,
                              parts.empty() ? "spec changed" : "changed: " + join(parts), c.id});
      continue;
    }
    if (c.name != spec.name) {
      plan.changes.push_back({Change::Recreate, "container", spec.name, spec.component, "renamed to " + c.name, c.id});
      continue;
    }
    if (c.state == "removing") {
      // Someone removes it right now: its destroy event triggers the next pass.
      plan.changes.push_back({Change::Unchanged, "container", spec.name, spec.component, "being removed", c.id});
      continue;
    }
    if (c.state != "running") {
      plan.changes.push_back({Change::Start, "container", spec.name, spec.component, "state is " + c.state, c.id});
      continue;
    }
    auto stale = co_await stale_live_files(docker, c.id, spec.live_files);
    if (!stale.empty()) {
      plan.changes.push_back({Change::Reload, "container", spec.name, spec.component, "files changed: " + join(stale), c.id});
      continue;
    }
    plan.changes.push_back({Change::Unchanged, "container", spec.name, spec.component, "", c.id});
  }
  for (const auto& c : owned)
    if (!matched.count(c.id))
      plan.changes.push_back({Change::Remove, "container", c.name, label_or(c.labels, kComponent, ""),
                              "no longer in the manifest", c.id});
  co_return plan;
}

net::awaitable<Plan> make_down_plan(docker::Api& docker, const std::string& stack, bool remove_volumes) {
  Plan plan;
  auto owner = owner_labels(stack);
  auto containers = co_await docker.list_containers(owner, true);
  auto networks = co_await docker.list_networks(owner);
  auto volumes = co_await docker.list_volumes(owner);
  for (const auto& c : containers)
    plan.changes.push_back({Change::Remove, "container", c.name, label_or(c.labels, kComponent, ""), "down", c.id});
  for (const auto& n : networks)
    plan.changes.push_back({Change::Remove, "network", n.name, "", "down", n.id});
  for (const auto& v : volumes) {
    if (remove_volumes) plan.changes.push_back({Change::Remove, "volume", v.name, "", "down --volumes", ""});
    else plan.changes.push_back({Change::Unchanged, "volume", v.name, "", "kept (data); use --volumes to remove", ""});
  }
  co_return plan;
}

}  // namespace stackd::containers

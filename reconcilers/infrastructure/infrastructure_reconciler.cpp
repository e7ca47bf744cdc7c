#include "reconcilers/infrastructure/infrastructure_reconciler.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <fstream>
#include <set>

#include "api/v1alpha1/component_kind.hpp"
#include "api/v1alpha1/labels.hpp"
#include "common/sha256.hpp"
#include "common/when_all.hpp"
#include "reconcilers/containers/apply.hpp"

namespace stackd::infrastructure {

namespace net = boost::asio;
namespace fs = std::filesystem;
using runtime::Action;
using runtime::ObjectKind;

InfrastructureReconciler::InfrastructureReconciler(docker::Api& docker) : docker_(docker) {}

std::vector<std::string> InfrastructureReconciler::keys(const desired::Snapshot&) const { return {"infrastructure"}; }

std::vector<std::string> InfrastructureReconciler::keys_for_component(std::string_view) const {
  return {"infrastructure"};
}

std::vector<std::string> read_managed_stacks(const fs::path& state_dir, const std::string& origin) {
  std::vector<std::string> stacks;
  if (state_dir.empty()) return stacks;
  std::ifstream in(state_dir / "stacks" / sha256_hex(origin).substr(0, 24));
  for (std::string line; std::getline(in, line) && stacks.size() < 1024;)
    if (!line.empty() && line.size() <= 253 && std::find(stacks.begin(), stacks.end(), line) == stacks.end())
      stacks.push_back(line);
  return stacks;
}

namespace {

// Stack names of objects stackd made from the same origin; the three
// lists at once (each a round trip to the engine).
net::awaitable<std::set<std::string>> stacks_of_origin(docker::Api& docker, const std::string& origin) {
  std::set<std::string> out;
  if (origin.empty()) co_return out;
  const docker::Labels filter{{labels::kManagedBy, labels::kManagedByValue}, {labels::kOrigin, origin}};
  std::vector<docker::ContainerSummary> containers;
  std::vector<docker::NetworkInfo> networks;
  std::vector<docker::VolumeInfo> volumes;
  std::vector<net::awaitable<void>> reads;
  reads.push_back([](docker::Api& d, const docker::Labels& f, auto& into) -> net::awaitable<void> {
    into = co_await d.list_containers(f, true);
  }(docker, filter, containers));
  reads.push_back([](docker::Api& d, const docker::Labels& f, auto& into) -> net::awaitable<void> {
    into = co_await d.list_networks(f);
  }(docker, filter, networks));
  reads.push_back([](docker::Api& d, const docker::Labels& f, auto& into) -> net::awaitable<void> {
    into = co_await d.list_volumes(f);
  }(docker, filter, volumes));
  co_await when_all(std::move(reads));
  auto add = [&](const docker::Labels& l) {
    if (auto it = l.find(labels::kStack); it != l.end()) out.insert(it->second);
  };
  for (const auto& c : containers) add(c.labels);
  for (const auto& n : networks) add(n.labels);
  for (const auto& v : volumes) add(v.labels);
  co_return out;
}

}  // namespace

net::awaitable<InfrastructureReconciler::StackPlan> InfrastructureReconciler::make_plan(const desired::Snapshot& snapshot) {
  const auto& desired = snapshot.desired;
  StackPlan out;
  std::set<std::string> earlier;
  {
    std::vector<net::awaitable<void>> reads;
    reads.push_back([](docker::Api& d, const desired::DesiredState& ds, containers::Plan& into) -> net::awaitable<void> {
      into = co_await containers::make_infrastructure_plan(d, ds);
    }(docker_, desired, out.own));
    reads.push_back([](docker::Api& d, const std::string& origin, std::set<std::string>& into) -> net::awaitable<void> {
      into = co_await stacks_of_origin(d, origin);
    }(docker_, desired.origin, earlier));
    co_await when_all(std::move(reads));
  }
  for (auto& s : read_managed_stacks(snapshot.state_dir, snapshot.source.origin)) earlier.insert(std::move(s));
  for (const auto& old : earlier) {
    if (old == desired.stack) continue;
    auto down = co_await containers::make_down_plan(docker_, old, /*remove_volumes=*/false);
    // Only its kept volumes left: that rename is done (as after `down`).
    if (!down.has(Action::Delete)) continue;
    for (auto& c : down.changes) {
      if (c.action != Action::Keep) {
        c.reason = "stack " + old + " was renamed to " + desired.stack;
        continue;
      }
      // A data volume the new name does not have yet gets the old one's data
      // (copied; the old one is kept, as `down` keeps volumes).
      c.reason = "data of stack " + old + " (renamed to " + desired.stack + "): kept";
      auto target = std::find_if(out.own.changes.begin(), out.own.changes.end(), [&](const containers::PlannedChange& v) {
        return v.object == ObjectKind::Volume && v.action == Action::Create && v.component && v.component == c.component &&
               v.copy_from.empty() && v.name == manifest::data_volume_name(desired.stack, *v.component);
      });
      if (target == out.own.changes.end()) continue;
      target->copy_from = c.name;
      target->reason = "holds the data of " + c.name + " (stack " + old + " renamed to " + desired.stack + "), copied";
      c.reason += "; its data is copied to " + target->name;
    }
    out.renamed.emplace_back(old, std::move(down));
  }
  co_return out;
}

net::awaitable<std::vector<runtime::Change>> InfrastructureReconciler::plan(const runtime::Request&,
                                                                             runtime::Context& context) {
  auto p = co_await make_plan(*context.snapshot);
  auto changes = p.own.to_changes();
  for (const auto& [old, down] : p.renamed) {
    changes.push_back({ObjectKind::Stack, old, Action::Delete,
                       "renamed to " + context.snapshot->desired.stack + " in the same manifest", {}, "", "", false});
    for (auto& c : down.to_changes()) changes.push_back(std::move(c));
  }
  co_return changes;
}

net::awaitable<runtime::Result> InfrastructureReconciler::reconcile(const runtime::Request&, runtime::Context& context) {
  const auto& snapshot = *context.snapshot;
  auto p = co_await make_plan(snapshot);
  containers::ApplyOptions options;
  options.progress = context.progress;
  options.clock = &context.clock;
  // Stacks this manifest made under another name go first (volumes stay):
  // their containers stop writing before their data is copied to the new name.
  std::string error;
  for (const auto& [old, down] : p.renamed) {
    spdlog::info("stack {} was renamed to {}: removing its old containers and network, keeping its volumes", old,
                 snapshot.desired.stack);
    auto removed = co_await containers::apply_down(docker_, down, options);
    if (!removed.ok() && error.empty()) error = "removing renamed stack " + old + ": " + removed.first_error();
    if (context.applied) {
      if (removed.ok())
        context.applied({ObjectKind::Stack, old, Action::Delete,
                         "renamed to " + snapshot.desired.stack + " in the same manifest", {}, "", "", false});
      for (const auto& c : containers::applied_changes(down, removed)) context.applied(c);
    }
  }
  auto result = co_await containers::apply_plan(docker_, snapshot.desired, p.own, options);
  if (error.empty()) error = result.first_error();
  if (context.applied)
    for (const auto& c : containers::applied_changes(p.own, result)) context.applied(c);
  if (!error.empty()) throw runtime::ReconcileError("ReconcileError", error);
  co_return runtime::Result{};
}

}  // namespace stackd::infrastructure

#pragma once
// The "infrastructure" key: what no single component owns. The stack's
// network and data volumes, containers of components that left the manifest
// (orphans), and the stack as it was under an earlier metadata.name of the
// same manifest: a renamed stack's old containers and network are removed
// and its data volumes kept, as `down` does. A renamed stack is found by the
// origin label every object carries (labels::kOrigin), and, for stacks made
// by an earlier stackd, by the names it recorded per origin in the state
// directory; so only stacks stackd itself applied from this manifest are
// ever touched.
#include <filesystem>

#include "clients/docker/docker_api.hpp"
#include "reconcilers/containers/plan.hpp"
#include "runtime/reconciler.hpp"

namespace stackd::infrastructure {

class InfrastructureReconciler final : public runtime::Reconciler {
 public:
  explicit InfrastructureReconciler(docker::Api& docker);
  std::string_view name() const override { return "infrastructure"; }
  std::vector<std::string> keys(const desired::Snapshot& snapshot) const override;
  // Networks and volumes, and any container event: a container of a
  // component no longer desired is an orphan only this key removes.
  std::vector<std::string> keys_for_component(std::string_view component) const override;
  boost::asio::awaitable<runtime::Result> reconcile(const runtime::Request& request, runtime::Context& context) override;
  boost::asio::awaitable<std::vector<runtime::Change>> plan(const runtime::Request& request,
                                                            runtime::Context& context) override;

 private:
  struct StackPlan {
    containers::Plan own;  // this stack's network, volumes, orphans
    std::vector<std::pair<std::string, containers::Plan>> renamed;  // earlier names of the stack and their objects
  };
  boost::asio::awaitable<StackPlan> make_plan(const desired::Snapshot& snapshot);
  docker::Api& docker_;
};

// The stacks an earlier stackd recorded for one origin (a manifest path, a
// git URL and path), one name a line in <state_dir>/stacks/<digest of
// origin>. Read only: objects now carry their origin as a label.
std::vector<std::string> read_managed_stacks(const std::filesystem::path& state_dir, const std::string& origin);

}  // namespace stackd::infrastructure

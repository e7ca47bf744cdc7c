#pragma once
// The "infrastructure" key: what no single component owns. The stack's
// network and data volumes, containers of components that left the manifest
// (orphans), and the stack as it was under an earlier metadata.name of the
// same manifest: a renamed stack's old objects are removed (data volumes
// kept, as `down` does), found through the stack names recorded per origin in
// the state directory, so only stacks stackd itself applied from this
// manifest are ever touched.
#include <filesystem>
#include <memory>

#include "clients/docker/docker_api.hpp"
#include "reconcilers/containers/container_reconciler.hpp"
#include "runtime/reconciler.hpp"

namespace stackd::infrastructure {

class InfrastructureReconciler final : public runtime::Reconciler {
 public:
  InfrastructureReconciler(docker::Api& docker, std::shared_ptr<containers::DesiredStateCache> cache);
  std::string_view name() const override { return "infrastructure"; }
  std::vector<std::string> keys(const manifest::Snapshot& snapshot) const override;
  // Networks and volumes, and any container event: a container of a
  // component no longer desired is an orphan only this key removes.
  std::vector<std::string> keys_for_component(std::string_view component) const override;
  boost::asio::awaitable<runtime::Result> reconcile(const runtime::Request& request, runtime::Context& context) override;

 private:
  docker::Api& docker_;
  std::shared_ptr<containers::DesiredStateCache> cache_;
};

// The stacks stackd applied here from one origin (a manifest path, a git
// URL and path), one name a line in <state_dir>/stacks/<digest of origin>
// (0600): two manifests on one host are two stacks, one manifest renamed is
// the same stack. Exposed for tests.
std::vector<std::string> read_managed_stacks(const std::filesystem::path& state_dir, const std::string& origin);
void write_managed_stacks(const std::filesystem::path& state_dir, const std::string& origin,
                          const std::vector<std::string>& stacks);
// Adds `stack` to the record of `origin` unless it is there. Called when a
// snapshot is pinned, before anything of that stack exists: a state directory
// that cannot take the record keeps the snapshot from being pinned, so no
// object is ever made that a later rename could not find. Throws with the
// path and the system's reason. Returns the record as it now stands; without
// a state directory, nothing is read or written and it is `stack` alone.
std::vector<std::string> record_managed_stack(const std::filesystem::path& state_dir, const std::string& origin,
                                              const std::string& stack);

}  // namespace stackd::infrastructure

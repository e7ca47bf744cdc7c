#pragma once
// The "infrastructure" key: what no single component owns. The stack's
// network and data volumes, containers of components that left the manifest
// (orphans), and stacks this host ran under an earlier metadata.name: a
// renamed stack's old objects are removed (data volumes kept, as `down`
// does), found through the stack names recorded in the state directory, so
// only stacks stackd itself applied here are ever touched.
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

// The stacks stackd applied on this host, one name a line in
// <state_dir>/managed-stacks (0600). Exposed for tests.
std::vector<std::string> read_managed_stacks(const std::filesystem::path& state_dir);
void write_managed_stacks(const std::filesystem::path& state_dir, const std::vector<std::string>& stacks);

}  // namespace stackd::infrastructure

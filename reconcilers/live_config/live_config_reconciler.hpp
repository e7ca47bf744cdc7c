#pragma once
// One key per reloaded set of live files ("config/prometheus",
// "config/alertmanager"): brings a running container's configuration to the
// snapshot's rendered files by a checked hot reload that rolls back on
// failure (live_config_reloader.hpp), under the set's ReloadPolicy. It never
// restarts a component: the container reconciler creates the container with
// its files, and this key owns them once it runs.
//
// Failures: files the checker rejects, or that the component refuses and that
// are rolled back, wait for an edit (Retry::Never: the same bytes get the
// same answer); a container that is missing, stopped or not answering yet is
// retried with backoff (the container reconciler is on it).
//
// Per set it keeps the files it last saw confirmed in the container: while
// the container's marker still names them they are the rollback copy, so an
// edit downloads nothing from the container.
#include <map>
#include <mutex>
#include <optional>

#include "clients/docker/docker_api.hpp"
#include "common/metrics/metrics.hpp"
#include "reconcilers/live_config/live_config_reloader.hpp"
#include "runtime/reconciler.hpp"

namespace stackd::live_config {

class LiveConfigReconciler final : public runtime::Reconciler {
 public:
  // Counts reloads by result in each policy's metric on `registry`.
  LiveConfigReconciler(docker::Api& docker, metrics::Registry& registry, ReloadOptions options = {});

  std::string_view name() const override { return "config"; }
  std::vector<std::string> keys(const desired::Snapshot& snapshot) const override;
  // A (re)created or restarted container: look at its files again.
  std::vector<std::string> keys_for_component(std::string_view component) const override;
  boost::asio::awaitable<runtime::Result> reconcile(const runtime::Request& request, runtime::Context& context) override;
  boost::asio::awaitable<std::vector<runtime::Change>> plan(const runtime::Request& request,
                                                            runtime::Context& context) override;
  void forget(const std::string& key) override;
  void describe(std::vector<runtime::ComponentReport>& out) const override;

 private:
  docker::Api& docker_;
  ReloadOptions options_;
  std::map<desired::LiveSet, metrics::CounterFamily*> reloads_;
  struct Loaded {
    std::string container_id;
    std::vector<TarFile> files;
  };
  std::map<desired::LiveSet, Loaded> loaded_;  // what each container was last confirmed to run
  mutable std::mutex mu_;
  std::map<desired::LiveSet, runtime::ComponentReport> reports_;
};

// What changing `set` from what the container holds (`seen`) to the desired
// files means for people: one change per file that differs, named after the
// user's file, with its unified diff (a secret's content is never shown).
std::vector<runtime::Change> live_file_changes(const desired::LiveFileSet& set, const LiveFilesSeen& seen,
                                               runtime::Action action, const std::string& reason);

}  // namespace stackd::live_config

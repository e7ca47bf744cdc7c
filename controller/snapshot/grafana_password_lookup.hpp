#pragma once
// The admin password the stack's Grafana container was given (its password
// file), for a manifest that names none: every stackd managing the stack
// uses that one, whoever runs it and wherever its state directory is, so a
// second user, a new state directory or a reinstalled daemon container never
// sends Grafana a password it does not have.
#include <boost/asio/awaitable.hpp>

#include <optional>
#include <string>

#include "api/v1alpha1/manifest.hpp"
#include "clients/docker/container_file.hpp"
#include "clients/docker/docker_api.hpp"

namespace stackd::snapshot {

// True when `m` runs Grafana without a password of its own.
bool needs_running_grafana_password(const manifest::Manifest& m);

class GrafanaPasswordLookup {
 public:
  explicit GrafanaPasswordLookup(docker::Api* docker);
  // What the container holds, when `m` needs it and a Grafana container of
  // this stack (stackd's labels) has the file; else, for a stack renamed in
  // the same manifest (`origin`), what its Grafana under the old name holds:
  // its data, and so its password, moves to the new name. nullopt otherwise.
  boost::asio::awaitable<std::optional<std::string>> resolve(const manifest::Manifest& m, const std::string& origin);

 private:
  docker::Api* docker_;
  docker::ContainerFileReader file_;
};

}  // namespace stackd::snapshot

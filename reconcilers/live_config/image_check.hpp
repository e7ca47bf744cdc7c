#pragma once
// A component's configuration checked before its container is first created,
// by the checker inside the component's own image (amtool, promtool: the
// version that will load the files): a short-lived container of that image
// runs the checker on the files delivered into it (PUT archive before start,
// as for the real container), its exit code and output are read, and it is
// removed whatever happened. It has no network, carries stackd's labels for
// the stack and a role label but no component label, so no plan, event
// source or `down` mistakes it for the component; a leftover of an
// interrupted check (same name, same labels) is removed before the next one.
#include <boost/asio/awaitable.hpp>

#include <chrono>
#include <string>
#include <vector>

#include "api/v1alpha1/labels.hpp"
#include "clients/docker/docker_api.hpp"
#include "common/tar_archive.hpp"
#include "desired/desired_state.hpp"

namespace stackd::live_config {

// The label that marks such a container, with its value (labels.hpp).
inline constexpr const char* kRoleLabel = labels::kRole;
inline constexpr const char* kConfigCheckRole = labels::kConfigCheckRole;

struct ImageCheck {
  std::string stack;
  std::string component;            // for the container's name: <stack>-<component>-config-check
  std::string image;                // the image the component will run
  std::vector<std::string> argv;    // the checker and its arguments, e.g. /bin/amtool check-config FILE
  std::vector<TarFile> files;       // delivered before start (members relative to "/")
  std::chrono::seconds timeout{60}; // for the checker to finish
};

struct CheckVerdict {
  bool passed = false;
  int exit_code = -1;
  std::string output;  // the checker's stdout and stderr (last 200 lines)
};

// The container's name and create document (pure).
std::string check_container_name(const ImageCheck& check);
nlohmann::json check_container_body(const ImageCheck& check);

// Runs the check. Throws when the engine fails (the image missing, the
// checker not found in it: docker::DockerError) or the checker outlives its
// timeout; the container is removed in every case. (`check` by value: the
// coroutine may outlive the caller's temporaries.)
boost::asio::awaitable<CheckVerdict> check_in_image(docker::Api& docker, ImageCheck check);

// A set of live files (Prometheus's config and rules, Alertmanager's config
// and secrets) checked by its reload policy's checker in `image`, the image
// its container will run: the verdict before the first create, which the
// reloads of a running container do not cover. Throws std::invalid_argument
// for a set without a checker (the Grafana password).
boost::asio::awaitable<CheckVerdict> check_live_set_in_image(docker::Api& docker, std::string stack, std::string image,
                                                             desired::LiveFileSet set);

}  // namespace stackd::live_config

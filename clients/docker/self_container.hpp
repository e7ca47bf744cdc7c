#pragma once
// Which image this stackd runs from, when it runs in a container, so the
// components that run stackd itself (the Ollama exporter) use the very same
// image: an upgrade of the stackd container upgrades them too.
//
// The container is found from what the kernel shows this process, in order:
//   /proc/self/mountinfo  the engine bind-mounts /etc/hostname, /etc/hosts and
//                         /etc/resolv.conf from .../containers/<id>/: works on
//                         cgroup v1 and v2 and with any --hostname;
//   /proc/self/cgroup     ".../docker-<id>.scope", "/docker/<id>" (cgroup v1,
//                         or v2 with --cgroupns=host);
//   the hostname          the engine's default: the id's first 12 characters
//                         (not with --network host or --hostname).
// Each candidate is inspected; the first container the engine knows under
// that id is this one.
#include <boost/asio/awaitable.hpp>

#include <optional>
#include <string>
#include <vector>

#include "clients/docker/docker_api.hpp"

namespace stackd::docker {

struct SelfEvidence {
  std::string mountinfo;  // content of /proc/self/mountinfo
  std::string cgroup;     // content of /proc/self/cgroup
  std::string hostname;
  // Reads them for this process (bounded: 1 MiB each).
  static SelfEvidence of_this_process();
};

// Candidate container ids (full 64-hex ids first, then a 12-hex hostname),
// without duplicates, in the order above.
std::vector<std::string> container_id_candidates(const SelfEvidence& evidence);

// The container this process runs in, as the engine knows it, or nullopt
// when not in a container of this engine. Transport errors propagate.
boost::asio::awaitable<std::optional<ContainerInfo>> own_container(
    Api& docker, const SelfEvidence& evidence = SelfEvidence::of_this_process());

// The image reference this process's container was created from (its
// Config.Image, e.g. "stackd:0.1.0"; the image id when that is empty), or
// nullopt when not in a container the engine knows. Transport errors propagate.
boost::asio::awaitable<std::optional<std::string>> own_image(Api& docker,
                                                             const SelfEvidence& evidence = SelfEvidence::of_this_process());

}  // namespace stackd::docker

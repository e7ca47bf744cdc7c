#pragma once
// The parts of a Docker create document every component shares: labels,
// environment, restart policy, limits, the network and published port, the
// data volume, the healthcheck; and the addresses a component is reached at.
// Every choice that makes stackd work without host paths and on both network
// modes lives here.
#include <nlohmann/json.hpp>

#include <string>

#include "api/v1alpha1/manifest.hpp"
#include "desired/desired_state.hpp"

namespace stackd::desired {

// A spec with its name, image and the shared parts of its create document.
ContainerSpec container_spec(const manifest::Manifest& m, ComponentKind kind, const std::string& image);

// Address a process inside the container binds to: the manifest's listen
// address with host networking (the container shares the host's), all
// interfaces inside a bridge network (publishing restricts it on the host).
std::string bind_address(const manifest::Manifest& m, const manifest::Component& c);
// bind_address:port, for --web.listen-address and friends.
std::string listen_address(const manifest::Manifest& m, const manifest::Component& c);

// Address stackd itself (on the host) uses to reach a published port.
std::string host_address(const std::string& listen);

// host:port at which the stack's Prometheus scrapes `kind`.
std::string scrape_address(const manifest::Manifest& m, ComponentKind kind);

// api_url and peer_url of a component listening on c.port.
void set_urls(const manifest::Manifest& m, ContainerSpec& spec, const manifest::Component& c);

// The component's data volume (<stack>-<name>-data), or the host directory
// its dataPath names, at its schema's data_dir.
void mount_data_volume(const manifest::Manifest& m, ContainerSpec& spec);

// The user's extra arguments after stackd's.
void append_args(nlohmann::json& cmd, const manifest::Component& c);

// host.docker.internal works on Linux only with an explicit host entry: the
// host's gateway on a bridge network, loopback with host networking.
void add_host_gateway(const manifest::Manifest& m, nlohmann::json& body);

}  // namespace stackd::desired

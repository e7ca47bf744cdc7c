#pragma once
// `stackd validate`'s look at the host ports the stack will listen on: a
// port another process already holds would leave that component unable to
// start, so validate warns about it (a warning, not an error: the other
// process may be gone by the time the stack starts). Ports this stack's own
// containers (or its daemon) hold are no warning. The check binds each
// listen:port briefly (SO_REUSEADDR, no listen) in the network namespace
// validate runs in, which is the host's for stackd on the host or in a
// host-network container.
#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "api/v1alpha1/manifest.hpp"

namespace stackd::cli {

struct HostPort {
  std::string field;      // spec.nodeExporter.port
  std::string component;  // node-exporter, or "stackd" for the daemon's endpoints
  std::string listen;     // the address it binds
  std::uint16_t port = 0;
};

// Every listen:port of the enabled components stackd runs, and the daemon's.
std::vector<HostPort> host_ports(const manifest::Manifest& m);

enum class PortState { Free, Taken, CannotTell };
// Binds listen:port for a moment. CannotTell: not an address of this host
// here, or a privileged port for a user without the right.
PortState probe_port(const std::string& listen, std::uint16_t port);

// Whether a running container, by its inspect document, listens on host
// port `port`: a published port, or the listen address stackd renders into
// its arguments (--web.listen-address=ADDR:PORT, --listen ADDR:PORT) or
// Grafana's GF_SERVER_HTTP_PORT.
bool container_holds_port(const nlohmann::json& inspect, std::uint16_t port);

// A warning per taken port that this stack does not hold itself (`ours[i]`:
// a container of this stack, or its daemon, holds ports[i]);
// `engine_answered` false: who holds a port could not be asked, and the
// warning says so.
std::vector<std::string> port_warnings(const std::vector<HostPort>& ports, const std::vector<PortState>& states,
                                       const std::vector<bool>& ours, bool engine_answered);

}  // namespace stackd::cli

#pragma once
// Where the daemon of a manifest serves /healthz /readyz /status /metrics,
// for `stackd status -f` and `stackd healthcheck -f`: spec.stackd's listen
// and port (defaults 127.0.0.1:9321), a wildcard as loopback.
#include <cstdint>
#include <optional>
#include <string>

namespace stackd::cli {

// http://ADDRESS:PORT for a listen address (IPv6 without brackets) and port.
std::string daemon_url(const std::string& listen, std::uint16_t port);

// The URL from the manifest at `path`. A manifest that does not load (an edit
// in progress: the daemon keeps serving its last good revision) is read for
// spec.stackd alone. Throws std::runtime_error when even that cannot be read.
std::string daemon_url_of_manifest(const std::string& path);

// daemon_url_of_manifest, or spec.stackd's defaults without a manifest (empty `path`).
std::string daemon_url_for(const std::string& path);

// --address when given, else daemon_url_for(--file); nullopt once the reason
// it cannot be read is printed on stderr (status and healthcheck exit 2 then).
std::optional<std::string> daemon_address_from_flags(const std::string& address, const std::string& file);

}  // namespace stackd::cli

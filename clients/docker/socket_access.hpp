#pragma once
// The advice to give when the Docker socket exists but this process may not
// open it: the usual case is the non-root stackd container without the
// socket's group. Kept apart from the HTTP client, which knows nothing of
// Docker.
#include <optional>
#include <string>

namespace stackd::docker {

// When `socket_path` refuses this process (EACCES), a sentence saying so and
// naming both fixes: on the host the socket's group (or sudo), in a
// container `--group-add <gid>`; nullopt when access is not the problem
// (missing socket, engine down).
std::optional<std::string> socket_permission_hint(const std::string& socket_path);

}  // namespace stackd::docker

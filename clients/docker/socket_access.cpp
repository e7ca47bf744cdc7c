#include "clients/docker/socket_access.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>

namespace stackd::docker {

std::optional<std::string> socket_permission_hint(const std::string& socket_path) {
  if (::access(socket_path.c_str(), R_OK | W_OK) == 0 || errno != EACCES) return std::nullopt;
  struct stat st {};
  std::string gid = ::stat(socket_path.c_str(), &st) == 0 ? std::to_string(st.st_gid) : "?";
  return "permission denied on the Docker socket " + socket_path + " (owned by group " + gid + "; stackd runs as uid " +
         std::to_string(::getuid()) + " without that group). In a container, add the socket's group: docker run "
         "--group-add $(stat -c %g " + socket_path + ") ... (here: --group-add " + gid + ")";
}

}  // namespace stackd::docker

#include "clients/docker/socket_access.hpp"

#include <grp.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>

namespace stackd::docker {

std::optional<std::string> socket_permission_hint(const std::string& socket_path) {
  if (::access(socket_path.c_str(), R_OK | W_OK) == 0 || errno != EACCES) return std::nullopt;
  struct stat st {};
  const bool known = ::stat(socket_path.c_str(), &st) == 0;
  std::string gid = known ? std::to_string(st.st_gid) : "?";
  std::string group = gid;
  if (known)
    if (const struct group* g = ::getgrgid(st.st_gid); g && g->gr_name) group = std::string(g->gr_name) + " (" + gid + ")";
  // Both fixes: stackd on the host (the usual first try) and in its image.
  return "permission denied on the Docker socket " + socket_path + ": it belongs to group " + group +
         " and stackd runs as uid " + std::to_string(::getuid()) +
         " without that group. On the host: add your user to the group (sudo usermod -aG " +
         (known ? group.substr(0, group.find(' ')) : std::string("docker")) +
         " $USER, then log in again) or run stackd with sudo. In a container: docker run --group-add " + gid +
         " ... (--group-add $(stat -c %g " + socket_path + "))";
}

}  // namespace stackd::docker

#pragma once
// Whether a file in a container is, by a path stat alone, what stackd put
// there with PUT archive (make_tar): its size, mode and the content's
// fingerprint as mtime (an edit in place sets the current time). A stat is
// about a millisecond; a download of the same file about 50.
#include <optional>
#include <string>
#include <vector>

#include "clients/docker/docker_api.hpp"
#include "common/tar_archive.hpp"

namespace stackd::docker {

inline bool delivered_as(const std::optional<PathStat>& st, const TarFile& f) {
  return st && !st->is_dir() && st->size == static_cast<std::int64_t>(f.content.size()) &&
         st->perm() == (f.mode & 0777) && st->mtime == delivered_mtime(f.content);
}

// Maps the members of GET /containers/{id}/archive?path=/etc/prometheus/stackd
// ("stackd/prometheus.yml": Docker names them after the last component of the
// requested directory) to tar names relative to "/"
// ("etc/prometheus/stackd/prometheus.yml").
inline std::vector<TarFile> rebase_archive_members(std::vector<TarFile> files, const std::string& container_dir) {
  const auto slash = container_dir.find_last_of('/');
  const std::string parent = container_dir.substr(1, slash == 0 ? 0 : slash);  // "etc/prometheus/"
  for (auto& f : files) f.path = parent + f.path;
  return files;
}

}  // namespace stackd::docker

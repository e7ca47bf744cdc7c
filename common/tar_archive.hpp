#pragma once
// In-memory tar archives via libarchive, for PUT/GET /containers/{id}/archive:
// files reach containers without host paths (design.md §4).
#include <cstddef>
#include <string>
#include <vector>

namespace stackd {

struct TarFile {
  std::string path;     // member name, relative (e.g. "etc/prometheus/prometheus.yml")
  std::string content;
  unsigned mode = 0644;
  unsigned uid = 0;
  unsigned gid = 0;
};

std::string make_tar(const std::vector<TarFile>& files);

// Regular files of a tar archive. Throws std::runtime_error on a malformed
// archive or when the files add up to more than max_total bytes.
std::vector<TarFile> read_tar(const std::string& archive, std::size_t max_total = 16 * 1024 * 1024);

}  // namespace stackd

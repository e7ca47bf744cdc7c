#pragma once
// In-memory tar archives via libarchive, for PUT/GET /containers/{id}/archive:
// files reach containers without host paths (docs/architecture.md).
#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace stackd {

struct TarFile {
  std::string path;     // member name, relative (e.g. "etc/prometheus/prometheus.yml")
  std::string content;
  unsigned mode = 0644;
  unsigned uid = 0;
  unsigned gid = 0;
};

// Every member's mtime is delivered_mtime(content): deterministic, and a
// fingerprint of the content, so a path stat of a delivered file (size and
// mtime, no download) tells whether it still holds what stackd put there. A
// file edited in place gets the current time and no longer matches.
std::string make_tar(const std::vector<TarFile>& files);

// Seconds since the epoch derived from the content's sha256 (31 bits, so
// before 2038 and valid for any time_t and for ustar headers).
long long delivered_mtime(std::string_view content);

// Regular files of a tar archive. Throws std::runtime_error on a malformed
// archive or when the files add up to more than max_total bytes.
std::vector<TarFile> read_tar(const std::string& archive, std::size_t max_total = 16 * 1024 * 1024);

}  // namespace stackd

#pragma once
// The "these files are loaded" marker that sits beside a reloaded set of live
// files (reconcilers/live_config): the sha256 of the files last confirmed
// loaded. A container created with its files gets the marker with them,
// since what it holds before its first start is what it loads.
#include <string>
#include <vector>

#include "common/tar_archive.hpp"

namespace stackd::desired {

inline constexpr const char* kLoadedMarker = ".stackd-loaded";

// sha256 over (0xff, path, 0xff, content) of each file, in order: the
// identity of a set of delivered files (the Thanos reloader's scheme).
std::string files_hash(const std::vector<TarFile>& files);

// The marker saying `files` are loaded, as it sits in `live_dir` (absolute).
TarFile loaded_marker(const std::string& live_dir, const std::vector<TarFile>& files);

struct LiveFileSet;

// One member of a live file set that a container holds with other content
// (or not at all), for people: named after the user's file, with a unified
// diff of its content (a secret's is never shown).
struct LiveFileDelta {
  std::string member;  // tar path relative to "/"
  std::string source;  // LiveFileSet::source_of(member)
  bool is_new = false;  // the container lacks it
  std::string diff;
};

// The members of `set` whose content differs from `held` (files as the
// container holds them, tar paths relative to "/"). Pure.
std::vector<LiveFileDelta> live_file_deltas(const LiveFileSet& set, const std::vector<TarFile>& held);

}  // namespace stackd::desired

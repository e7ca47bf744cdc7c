#pragma once
// Reads, interpolates, validates a manifest and the files it references.
// Reports every problem at once (file:line:col) by throwing ManifestError.
#include <string>

#include "api/v1alpha1/diagnostics.hpp"
#include "api/v1alpha1/interpolate.hpp"
#include "api/v1alpha1/manifest.hpp"

namespace stackd::manifest {

struct LoadOptions {
  EnvLookup env = process_environment();
  std::size_t max_file_size = 8 * 1024 * 1024;  // any single file
  std::size_t max_files = 2000;                  // files matched by globs, in all
  bool allow_empty = false;                      // like spec.allowEmpty (the --allow-empty flag)
};

Manifest load(const std::string& path, const LoadOptions& options = {});

// Same checks from text (tests); `path` names it in messages and anchors
// relative paths.
Manifest load_from_string(const std::string& text, const std::string& path, const LoadOptions& options = {});

}  // namespace stackd::manifest

#pragma once
// Parses YAML that stackd reads (the manifest, rule files, extra scrape
// configs) after checking its structure on yaml-cpp's event stream, before
// any tree is built: nesting depth, node count and scalar length are bounded
// (yaml-cpp's parser and everything walking the tree recurse once per level),
// a second document, a duplicate key, a non-string key, an alias or an
// unknown tag is an error with its position, not silently resolved.
#include <cstddef>
#include <optional>
#include <string>

#include <yaml-cpp/yaml.h>

#include "api/v1alpha1/diagnostics.hpp"

namespace stackd::manifest {

struct YamlLimits {
  int max_depth = 32;
  std::size_t max_nodes = 100'000;
  std::size_t max_scalar_bytes = 64 * 1024;
  // Aliases make one node appear in many places: interpolating or walking
  // them would visit it many times (and a chain of them, exponentially often).
  bool allow_aliases = false;
};

// The limits for files stackd only hands on (rule files, scrape configs).
YamlLimits referenced_file_limits();

// nullopt (and diagnostics in `file`) when the text is not one well-formed
// document within the limits. An empty document is a null node.
std::optional<YAML::Node> parse_yaml_document(const std::string& text, const std::string& file, const YamlLimits& limits,
                                              Diagnostics& diags);

}  // namespace stackd::manifest

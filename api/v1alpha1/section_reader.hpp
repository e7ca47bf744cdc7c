#pragma once
// What the loader shares with a section read in a file of its own
// (alertmanager_section, gpu_section): where problems are reported, how to
// read a component's common fields and how to read a referenced file
// (bounded, inside the manifest's directory).
#include <yaml-cpp/yaml.h>

#include <functional>
#include <optional>
#include <string>

#include "api/v1alpha1/component.hpp"
#include "api/v1alpha1/diagnostics.hpp"

namespace stackd::manifest {

struct SectionReader {
  std::string file;  // the manifest, for positions
  Diagnostics& diags;
  // Reads enabled, image, args, env, volumes, ... of a component mapping.
  std::function<void(const YAML::Node& node, const std::string& where, Component& into)> read_component;
  // Reads a file relative to the manifest; reports and returns nullopt when it cannot.
  std::function<std::optional<FileRef>(const std::string& rel, const YAML::Node& at, const std::string& what)> read_file;
};

}  // namespace stackd::manifest

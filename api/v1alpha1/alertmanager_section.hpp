#pragma once
// Parses spec.alertmanager and spec.alerts into the manifest,
// reporting every problem with file:line:col like the rest of the loader.
// The loader hands over what it shares with every section: how to read a
// component's common fields and how to read a referenced file (bounded,
// inside the manifest's directory).
#include <yaml-cpp/yaml.h>

#include <functional>
#include <optional>
#include <string>

#include "api/v1alpha1/diagnostics.hpp"
#include "api/v1alpha1/manifest.hpp"

namespace stackd::manifest {

struct SectionReader {
  std::string file;  // the manifest, for positions
  Diagnostics& diags;
  // Reads enabled, image, args, env, volumes, ... of a component mapping.
  std::function<void(const YAML::Node& node, const std::string& where, Component& into)> read_component;
  // Reads a file relative to the manifest; reports and returns nullopt when it cannot.
  std::function<std::optional<FileRef>(const std::string& rel, const YAML::Node& at, const std::string& what)> read_file;
};

// Bounds on what a manifest may declare.
inline constexpr std::size_t kMaxReceivers = 64;
inline constexpr std::size_t kMaxRoutes = 256;
inline constexpr std::size_t kMaxMatchers = 32;

// Fields of spec.alertmanager besides the common component fields.
inline constexpr std::initializer_list<const char*> kAlertmanagerFields = {"route", "receivers", "routes", "configFile"};

// Reads spec.alertmanager (absent: disabled) and spec.alerts into m.
void read_alerting_sections(const YAML::Node& spec, const SectionReader& reader, Manifest& m);

// The files spec.alertmanager references (secrets, configFile), for the
// manifest's revision and watching.
std::vector<const FileRef*> alertmanager_files(const Alertmanager& am);

}  // namespace stackd::manifest

#pragma once
// Parses spec.alertmanager and spec.alerts into the manifest,
// reporting every problem with file:line:col like the rest of the loader.
// The loader hands over what it shares with every section (section_reader.hpp).
#include <yaml-cpp/yaml.h>

#include <functional>
#include <optional>
#include <string>

#include "api/v1alpha1/manifest.hpp"
#include "api/v1alpha1/section_reader.hpp"

namespace stackd::manifest {

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

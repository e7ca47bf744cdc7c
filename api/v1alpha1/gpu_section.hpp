#pragma once
// Parses spec.gpu into the manifest (docs/manifest.md, "gpu"), reporting
// every problem with file:line:col like the rest of the loader.
#include <yaml-cpp/yaml.h>

#include "api/v1alpha1/manifest.hpp"
#include "api/v1alpha1/section_reader.hpp"

namespace stackd::manifest {

// Reads spec.gpu (absent: no GPU metrics) into m.gpu. Runs after
// spec.nodeExporter is read: AMD cards are read by node-exporter.
void read_gpu_section(const YAML::Node& spec, const SectionReader& reader, Manifest& m);

}  // namespace stackd::manifest

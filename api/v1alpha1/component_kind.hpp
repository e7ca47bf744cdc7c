#pragma once
// The components a stack is made of, as the manifest knows them: one row per
// kind with its name, its manifest section and its defaults. The loader
// iterates this table for defaults, duplicate ports and "is anything
// enabled"; the desired-state layer (desired/component_table) adds, by the
// same enum, how each kind becomes a container. Adding a component adds a
// value here and a row to component_schemas() (docs/architecture.md).
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>

#include "api/v1alpha1/component.hpp"

namespace stackd::manifest {

struct Manifest;

enum class ComponentKind { Prometheus, Grafana, NodeExporter, OllamaExporter, Alertmanager, GpuExporter };

struct ComponentSchema {
  ComponentKind kind;
  // Its name in labels (dev.stackd.component), container names
  // (<stack>-<name>), /status and the CLI: "node-exporter".
  std::string_view name;
  // Where it is in the manifest, as messages name it: "spec.nodeExporter".
  std::string_view section;
  std::string_view default_image;  // empty: no default (the exporter runs from stackd's own image)
  std::uint16_t default_port = 0;
  // Where its data volume (<stack>-<name>-data, or the host directory of
  // `dataPath`) is mounted; empty: it keeps no data.
  std::string_view data_dir;
  // The user its official image runs as, who must be able to write there,
  // and that user's group (Grafana's 472 is in group 0, not 472).
  unsigned data_uid = 0;
  unsigned data_gid = 0;
  // Its fields every component takes, in a manifest.
  Component& (*fields)(Manifest&) = nullptr;
  const Component& (*const_fields)(const Manifest&) = nullptr;
};

// Every kind, in the order stackd renders and reports them.
std::span<const ComponentSchema> component_schemas();
const ComponentSchema& schema_of(ComponentKind kind);
std::string_view to_string(ComponentKind kind);  // its name: "node-exporter"
std::optional<ComponentKind> component_kind_named(std::string_view name);

// The common fields of `kind` in `m`.
const Component& component_of(const Manifest& m, ComponentKind kind);
Component& component_of(Manifest& m, ComponentKind kind);

// <stack>-<name>: its container; <stack>-<name>-data: its data volume.
std::string container_name(std::string_view stack, ComponentKind kind);
std::string data_volume_name(std::string_view stack, ComponentKind kind);

}  // namespace stackd::manifest

#pragma once
// How each kind of component becomes Docker objects: one row per kind, the
// same enum as the manifest's schema table (api/v1alpha1/component_kind.hpp).
// desired/render.cpp iterates it; nothing else names components one by one.
// A row's functions live in the component's own file (desired/<kind>/).
#include <span>
#include <vector>

#include "api/v1alpha1/manifest.hpp"
#include "desired/desired_state.hpp"
#include "desired/prometheus/prometheus_config.hpp"
#include "desired/render.hpp"

namespace stackd::desired {

struct RenderInput {
  const manifest::Manifest& manifest;
  const ResolvedValues& values;
  // What the stack's Prometheus scrapes: every enabled component's targets,
  // gathered before any component is rendered.
  std::vector<prometheus::ScrapeTarget> scrape_targets;
  // Whose GPUs are watched (vendor None when the manifest asks for none).
  GpuDecision gpu;
};

struct RenderedComponent {
  ContainerSpec container;  // not yet sealed: render() computes the spec hash
  std::vector<LiveFileSet> live_files;
};

struct ComponentDefinition {
  ComponentKind kind;
  // What the stack's Prometheus scrapes of it; null: nothing.
  std::vector<prometheus::ScrapeTarget> (*scrape_targets)(const RenderInput&) = nullptr;
  // Its container (create document, readiness URL, files) and live files.
  RenderedComponent (*render)(const RenderInput&) = nullptr;
  // Whether an enabled component runs a container on this box (the GPU
  // exporter only where NVIDIA cards are watched); null: whenever enabled.
  bool (*runs)(const RenderInput&) = nullptr;
};

// The row's component is enabled in the manifest and runs here.
bool runs_here(const ComponentDefinition& def, const RenderInput& in);

// Every row, in the order of component_schemas().
std::span<const ComponentDefinition> component_definitions();
const ComponentDefinition& definition_of(ComponentKind kind);

// The rows, one per file under desired/<kind>/.
ComponentDefinition prometheus_component();
ComponentDefinition grafana_component();
ComponentDefinition node_exporter_component();
ComponentDefinition ollama_exporter_component();
ComponentDefinition alertmanager_component();
ComponentDefinition gpu_exporter_component();

}  // namespace stackd::desired

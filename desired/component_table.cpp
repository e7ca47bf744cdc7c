#include "desired/component_table.hpp"

#include <stdexcept>

namespace stackd::desired {

std::span<const ComponentDefinition> component_definitions() {
  static const std::vector<ComponentDefinition> table = {
      prometheus_component(),       grafana_component(),      node_exporter_component(),
      ollama_exporter_component(),  alertmanager_component(), gpu_exporter_component(),
  };
  return table;
}

bool runs_here(const ComponentDefinition& def, const RenderInput& in) {
  return manifest::component_of(in.manifest, def.kind).enabled && (!def.runs || def.runs(in));
}

const ComponentDefinition& definition_of(ComponentKind kind) {
  for (const auto& d : component_definitions())
    if (d.kind == kind) return d;
  throw std::logic_error("component " + std::string(manifest::to_string(kind)) + " has no row in the component table");
}

}  // namespace stackd::desired

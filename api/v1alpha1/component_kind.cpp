#include "api/v1alpha1/component_kind.hpp"

#include <array>
#include <utility>
#include <stdexcept>
#include <string>

#include "api/v1alpha1/manifest.hpp"

namespace stackd::manifest {

namespace {

// One selector gives both the mutable and the const accessor of a row.
template <class Select>
struct FieldsOf {
  static Component& get(Manifest& m) { return Select{}(m); }
  static const Component& get_const(const Manifest& m) { return Select{}(m); }
};

template <class Select>
constexpr ComponentSchema row(ComponentKind kind, std::string_view name, std::string_view section,
                              std::string_view image, std::uint16_t port, std::string_view data_dir,
                              std::pair<unsigned, unsigned> data_user, Select) {
  return {kind,           name, section, image, port, data_dir, data_user.first, data_user.second,
          &FieldsOf<Select>::get, &FieldsOf<Select>::get_const};
}

// The users (uid, gid) the official images run as: nobody:nogroup, and
// grafana's 472, whose group is root (0).
constexpr std::pair<unsigned, unsigned> kNobody{65534, 65534}, kGrafanaUser{472, 0}, kNoData{0, 0};

constexpr std::array kSchemas = {
    row(ComponentKind::Prometheus, "prometheus", "spec.prometheus", "prom/prometheus:v2.53.2", 9090, "/prometheus",
        kNobody, [](auto& m) -> auto& { return m.prometheus; }),
    row(ComponentKind::Grafana, "grafana", "spec.grafana", "grafana/grafana:11.3.0", 3000, "/var/lib/grafana",
        kGrafanaUser, [](auto& m) -> auto& { return m.grafana; }),
    row(ComponentKind::NodeExporter, "node-exporter", "spec.nodeExporter", "prom/node-exporter:v1.8.2", 9100, "", kNoData,
        [](auto& m) -> auto& { return m.node_exporter; }),
    row(ComponentKind::OllamaExporter, "ollama-exporter", "spec.ollama.exporter", "", 11435, "", kNoData,
        [](auto& m) -> auto& { return m.ollama.exporter; }),
    row(ComponentKind::Alertmanager, "alertmanager", "spec.alertmanager", "prom/alertmanager:v0.27.0", 9093,
        "/alertmanager", kNobody, [](auto& m) -> auto& { return m.alertmanager; }),
    // The NVIDIA exporter; its defaults are dcgm-exporter's (the loader
    // switches them for `exporter: nvidia-smi`).
    row(ComponentKind::GpuExporter, "gpu-exporter", "spec.gpu", kDcgmExporterImage, kDcgmExporterPort, "", kNoData,
        [](auto& m) -> auto& { return m.gpu; }),
};

}  // namespace

std::span<const ComponentSchema> component_schemas() { return kSchemas; }

const ComponentSchema& schema_of(ComponentKind kind) {
  for (const auto& s : kSchemas)
    if (s.kind == kind) return s;
  throw std::logic_error("component kind without a schema");
}

std::string_view to_string(ComponentKind kind) { return schema_of(kind).name; }

std::optional<ComponentKind> component_kind_named(std::string_view name) {
  for (const auto& s : kSchemas)
    if (s.name == name) return s.kind;
  return std::nullopt;
}

Component& component_of(Manifest& m, ComponentKind kind) { return schema_of(kind).fields(m); }

const Component& component_of(const Manifest& m, ComponentKind kind) { return schema_of(kind).const_fields(m); }

std::string container_name(std::string_view stack, ComponentKind kind) {
  return std::string(stack) + "-" + std::string(to_string(kind));
}

std::string data_volume_name(std::string_view stack, ComponentKind kind) {
  return container_name(stack, kind) + "-data";
}

}  // namespace stackd::manifest

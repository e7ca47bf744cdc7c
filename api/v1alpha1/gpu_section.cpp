#include "api/v1alpha1/gpu_section.hpp"

#include <algorithm>
#include <initializer_list>

#include "api/v1alpha1/field_syntax.hpp"
#include "api/v1alpha1/gpu.hpp"

namespace stackd::manifest {

std::string_view to_string(GpuVendor vendor) {
  switch (vendor) {
    case GpuVendor::Auto: return "auto";
    case GpuVendor::Nvidia: return "nvidia";
    case GpuVendor::Amd: return "amd";
    case GpuVendor::None: return "none";
  }
  return "?";
}

std::string_view to_string(GpuExporterKind kind) {
  return kind == GpuExporterKind::Dcgm ? "dcgm" : "nvidia-smi";
}

namespace {

constexpr const char* kGpuSection = "spec.gpu";
// The fields of the NVIDIA exporter's container, as every component has them.
constexpr std::initializer_list<const char*> kGpuContainerFields = {
    "image", "args", "env", "volumes", "memoryLimit", "cpus", "restart", "healthcheck", "labels", "listen", "port"};
constexpr std::initializer_list<const char*> kGpuOwnFields = {"enabled", "vendor", "exporter", "devices", "profiling"};

class GpuSectionReader {
 public:
  explicit GpuSectionReader(const SectionReader& r) : r_(r) {}

  void error(const YAML::Node& n, const std::string& message) {
    const auto m = n.Mark();
    r_.diags.add(r_.file, m.is_null() ? 1 : m.line + 1, m.is_null() ? 1 : m.column + 1, message);
  }

  // A plain scalar that is one of `choices`.
  std::optional<std::string> choice(const YAML::Node& n, const char* key, std::initializer_list<const char*> choices) {
    const auto v = n[key];
    if (!v) return std::nullopt;
    std::string all;
    for (const char* c : choices) all += (all.empty() ? "" : " | ") + std::string(c);
    if (!v.IsScalar() || std::none_of(choices.begin(), choices.end(), [&](const char* c) { return v.Scalar() == c; })) {
      error(v, std::string(kGpuSection) + "." + key + " must be one of " + all +
                   (v.IsScalar() ? " (not '" + shown(v.Scalar()) + "')" : ""));
      return std::nullopt;
    }
    return v.Scalar();
  }

  const SectionReader& shared() const { return r_; }

 private:
  const SectionReader& r_;
};

// A GPU as NVIDIA names it: an index ("0"), a UUID ("GPU-8f6c...") or a MIG
// device ("MIG-..."): letters, digits, '-', ':', '.', '/', '='.
bool is_gpu_device_id(std::string_view s) {
  if (s.empty() || s.size() > kMaxGpuDeviceId) return false;
  return std::all_of(s.begin(), s.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == ':' ||
           c == '.' || c == '/' || c == '=';
  });
}

void read_gpu_devices(GpuSectionReader& r, const YAML::Node& d, Gpu& gpu) {
  const std::string w = std::string(kGpuSection) + ".devices";
  if (d.IsScalar() && d.Scalar() == "all") {
    gpu.devices = GpuDevices::All;
  } else if (d.IsScalar() && d.Scalar() == "none") {
    gpu.devices = GpuDevices::None;
  } else if (d.IsSequence()) {
    if (d.size() == 0) r.error(d, w + " is an empty list (write `none` to give the exporter no device)");
    if (d.size() > kMaxGpuDevices) {
      r.error(d, w + " lists more than " + std::to_string(kMaxGpuDevices) + " GPUs");
      return;
    }
    gpu.devices = GpuDevices::Listed;
    for (const auto& item : d) {
      if (!item.IsScalar() || !is_gpu_device_id(item.Scalar())) {
        r.error(item, w + ": '" + (item.IsScalar() ? shown(item.Scalar()) : std::string("?")) +
                          "' is not a GPU id (an index like 0 or a UUID like GPU-8f6c2b1e-...)");
        continue;
      }
      if (std::find(gpu.device_ids.begin(), gpu.device_ids.end(), item.Scalar()) != gpu.device_ids.end())
        r.error(item, w + ": GPU '" + shown(item.Scalar()) + "' is listed twice");
      else gpu.device_ids.push_back(item.Scalar());
    }
  } else {
    r.error(d, w + " must be all, none or a list of GPU ids");
  }
}

}  // namespace

void read_gpu_section(const YAML::Node& spec, const SectionReader& shared, Manifest& m) {
  auto& gpu = m.gpu;
  const YAML::Node n = spec["gpu"];
  if (!n) {
    gpu.enabled = false;
    return;
  }
  gpu.declared = true;
  GpuSectionReader r(shared);
  const std::string w = kGpuSection;
  if (!n.IsMap()) {
    r.error(n, w + " must be a mapping");
    gpu.enabled = false;
    return;
  }
  for (auto it = n.begin(); it != n.end(); ++it) {
    const auto key = it->first.Scalar();
    auto is = [&](const char* a) { return key == a; };
    if (std::none_of(kGpuOwnFields.begin(), kGpuOwnFields.end(), is) &&
        std::none_of(kGpuContainerFields.begin(), kGpuContainerFields.end(), is))
      r.error(it->first, "unknown field '" + shown(key) + "' in " + w);
  }
  shared.read_component(n, w, gpu);
  gpu.watch = gpu.enabled;

  if (auto v = r.choice(n, "vendor", {"auto", "nvidia", "amd", "none"}))
    gpu.vendor = *v == "auto" ? GpuVendor::Auto : *v == "nvidia" ? GpuVendor::Nvidia : *v == "amd" ? GpuVendor::Amd : GpuVendor::None;
  if (auto v = r.choice(n, "exporter", {"dcgm", "nvidia-smi"}))
    gpu.exporter = *v == "dcgm" ? GpuExporterKind::Dcgm : GpuExporterKind::NvidiaSmi;
  if (auto d = n["devices"]) read_gpu_devices(r, d, gpu);
  if (auto p = n["profiling"]) {
    bool v = false;
    if (!p.IsScalar() || !YAML::convert<bool>::decode(p, v)) r.error(p, w + ".profiling must be true or false");
    else gpu.profiling = v;
  }

  // The exporter's own defaults when the manifest names another exporter
  // than the schema's (dcgm-exporter).
  if (gpu.exporter == GpuExporterKind::NvidiaSmi) {
    if (!n["image"]) gpu.image = std::string(kNvidiaSmiExporterImage);
    if (!n["port"]) gpu.port = kNvidiaSmiExporterPort;
  }

  const bool nvidia_possible = gpu.vendor == GpuVendor::Auto || gpu.vendor == GpuVendor::Nvidia;
  if (!nvidia_possible) {
    // No container: its fields would silently mean nothing.
    const std::string why = gpu.vendor == GpuVendor::Amd
                                ? "with vendor: amd (node-exporter reads AMD cards; its flags go in spec.nodeExporter.args)"
                                : "with vendor: none";
    for (const char* f : {"exporter", "devices", "profiling"})
      if (n[f]) r.error(n[f], w + "." + f + " has no effect " + why);
    for (const char* f : kGpuContainerFields)
      if (n[f]) r.error(n[f], w + "." + f + " has no effect " + why + ": no GPU exporter container runs");
  }
  if (gpu.profiling && gpu.exporter != GpuExporterKind::Dcgm)
    r.error(n["profiling"], w + ".profiling is dcgm-exporter's (its DCGM_FI_PROF_* counters); nvidia-smi has none");
  if (gpu.vendor == GpuVendor::Amd && gpu.watch && !m.node_exporter.enabled)
    r.error(n["vendor"], w + ".vendor: amd needs spec.nodeExporter: stackd reads AMD cards through node-exporter's "
                             "drm and hwmon collectors");
  gpu.enabled = gpu.watch && nvidia_possible;
}

}  // namespace stackd::manifest

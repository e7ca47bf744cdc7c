#include "desired/gpu_exporter/gpu_decision.hpp"

#include <algorithm>

namespace stackd::desired {

using manifest::GpuVendor;

namespace {

std::string listed(const std::vector<std::string>& items, std::size_t at_most = 4) {
  std::string out;
  for (std::size_t i = 0; i < items.size() && i < at_most; ++i) out += (i ? ", " : "") + items[i];
  if (items.size() > at_most) out += ", ... (" + std::to_string(items.size()) + ")";
  return out;
}

bool has_runtime(const GpuFacts& facts, const std::string& name) {
  return std::find(facts.runtimes.begin(), facts.runtimes.end(), name) != facts.runtimes.end();
}

}  // namespace

std::vector<std::string> nvidia_cdi_devices(const GpuFacts& facts) {
  std::vector<std::string> out;
  for (const auto& d : facts.cdi_devices)
    if (d.rfind("nvidia.com/gpu=", 0) == 0) out.push_back(d);
  return out;
}

GpuDecision decide_gpu(const manifest::Manifest& m, const GpuFacts& facts) {
  const auto& gpu = m.gpu;
  const auto cdi = nvidia_cdi_devices(facts);
  GpuDecision d;
  switch (gpu.vendor) {
    case GpuVendor::None:
      d.why = "spec.gpu.vendor: none";
      return d;
    case GpuVendor::Nvidia:
      d.vendor = GpuVendor::Nvidia;
      d.why = "spec.gpu.vendor: nvidia";
      return d;
    case GpuVendor::Amd:
      d.vendor = GpuVendor::Amd;
      d.why = "spec.gpu.vendor: amd";
      return d;
    case GpuVendor::Auto:
      break;
  }
  // auto: NVIDIA from the engine (only a GPU the engine can hand to a
  // container is one an exporter container can read: the toolkit registers
  // the nvidia runtime, or CDI devices the engine then lists), AMD from the
  // host.
  if (!cdi.empty()) {
    d.vendor = GpuVendor::Nvidia;
    d.why = "vendor auto: the engine lists NVIDIA CDI devices (" + listed(cdi) + ")";
  } else if (has_runtime(facts, "nvidia")) {
    d.vendor = GpuVendor::Nvidia;
    d.why = "vendor auto: the engine has the nvidia runtime (the NVIDIA container toolkit)";
  } else if (!facts.amd_cards.empty()) {
    if (!m.node_exporter.enabled) {
      d.why = "vendor auto: amdgpu cards under /sys/class/drm (" + listed(facts.amd_cards) +
              "), but spec.nodeExporter is not enabled: node-exporter's drm collector reads them";
      return d;
    }
    d.vendor = GpuVendor::Amd;
    d.why = "vendor auto: amdgpu cards under /sys/class/drm (" + listed(facts.amd_cards) + ")";
  } else {
    std::string engine = facts.engine_answered
                             ? "the engine has no nvidia runtime and lists no NVIDIA CDI device"
                             : "the engine did not say which runtimes it has (GET /info)";
    std::string host = facts.host_read ? "no amdgpu card under /sys/class/drm" : "/sys/class/drm could not be read";
    d.why = "vendor auto: no GPU found (" + engine + "; " + host + ")";
  }
  return d;
}

}  // namespace stackd::desired

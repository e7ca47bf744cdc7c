#pragma once
// Which GPUs a stack watches on this box and why: spec.gpu as written, and
// for `vendor: auto` what the engine and the host say (GpuFacts, gathered by
// controller/snapshot before rendering). Pure: the same manifest and facts
// give the same decision, which the desired state carries so that `stackd
// diff` can say what was found and why.
#include <string>
#include <vector>

#include "api/v1alpha1/manifest.hpp"

namespace stackd::desired {

// What stackd found of the box's GPUs outside the manifest.
struct GpuFacts {
  bool engine_answered = false;          // GET /info answered (runtimes, cdi_devices below)
  std::vector<std::string> runtimes;     // the engine's runtimes: "runc", "nvidia", ...
  std::vector<std::string> cdi_devices;  // CDI devices the engine discovered: "nvidia.com/gpu=0"
  bool host_read = false;                // the host's /sys/class/drm was read
  std::vector<std::string> amd_cards;    // "card0", ...: DRM cards whose driver is amdgpu
};

struct GpuDecision {
  manifest::GpuVendor vendor = manifest::GpuVendor::None;  // Nvidia, Amd or None, never Auto
  std::string why;  // for people: "the engine has the nvidia runtime"
};

// The NVIDIA CDI devices among the engine's: "nvidia.com/gpu=0", ...
std::vector<std::string> nvidia_cdi_devices(const GpuFacts& facts);

// spec.gpu and the facts -> the vendor whose cards are watched. Only for a
// manifest whose spec.gpu wants GPU metrics (Gpu::wanted()).
GpuDecision decide_gpu(const manifest::Manifest& m, const GpuFacts& facts);

}  // namespace stackd::desired

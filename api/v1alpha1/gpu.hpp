#pragma once
// spec.gpu as the user wrote it, after validation (docs/manifest.md, "gpu"):
// whose cards to watch, which exporter runs for NVIDIA and which devices it
// is given. Which vendor `auto` means on this box is decided at render
// (desired/gpu_exporter/gpu_decision.hpp), from what the engine and the
// host say.
#include <string>
#include <string_view>
#include <vector>

#include "api/v1alpha1/component.hpp"

namespace stackd::manifest {

enum class GpuVendor { Auto, Nvidia, Amd, None };
// NVIDIA's exporters: dcgm-exporter (NVIDIA's own, the names the GPU
// Operator gives Kubernetes users) or utkuozdemir/nvidia_gpu_exporter
// (nvidia-smi based, for GeForce cards without DCGM).
enum class GpuExporterKind { Dcgm, NvidiaSmi };
// Which cards the NVIDIA exporter's container is given.
enum class GpuDevices { All, None, Listed };

std::string_view to_string(GpuVendor vendor);        // "auto", "nvidia", "amd", "none"
std::string_view to_string(GpuExporterKind kind);    // "dcgm", "nvidia-smi"

// The default images of the two exporters, pinned by tag (docs/manifest.md
// says why dcgm-exporter is the default).
inline constexpr std::string_view kDcgmExporterImage = "nvcr.io/nvidia/k8s/dcgm-exporter:4.5.3-4.8.2-distroless";
inline constexpr std::uint16_t kDcgmExporterPort = 9400;
inline constexpr std::string_view kNvidiaSmiExporterImage = "utkuozdemir/nvidia_gpu_exporter:1.14.0";
inline constexpr std::uint16_t kNvidiaSmiExporterPort = 9835;

// Bounds on spec.gpu.devices.
inline constexpr std::size_t kMaxGpuDevices = 64;
inline constexpr std::size_t kMaxGpuDeviceId = 128;

// The common fields (image, port, args, ...) are the NVIDIA exporter
// container's; `enabled` is true only while such a container may run
// (vendor auto or nvidia).
struct Gpu : Component {
  bool declared = false;  // the manifest has a `gpu` section
  GpuVendor vendor = GpuVendor::Auto;
  GpuExporterKind exporter = GpuExporterKind::Dcgm;
  GpuDevices devices = GpuDevices::All;
  std::vector<std::string> device_ids;  // devices: [ids]: GPU indexes or UUIDs
  // dcgm-exporter's profiling counters (DCGM_FI_PROF_*) need SYS_ADMIN; only
  // this option gives the container that capability.
  bool profiling = false;
  // GPU metrics are wanted at all: declared, not `enabled: false`, vendor not none.
  bool wanted() const { return declared && vendor != GpuVendor::None && watch; }
  bool watch = true;  // `enabled` as written (Component::enabled says whether a container may run)
};

}  // namespace stackd::manifest

// The NVIDIA GPU exporter: dcgm-exporter or nvidia_gpu_exporter, given the
// box's GPUs through a device request (Docker's `--gpus`), where NVIDIA
// cards are watched (gpu_decision.hpp). AMD cards need no container of their
// own: node-exporter reads them (node_exporter_component.cpp).
#include "desired/component_table.hpp"
#include "desired/container_document.hpp"

namespace stackd::desired {

namespace {

using manifest::GpuDevices;
using manifest::GpuExporterKind;
using manifest::GpuVendor;
using nlohmann::json;

bool gpu_exporter_runs(const RenderInput& in) { return in.gpu.vendor == GpuVendor::Nvidia; }

std::vector<prometheus::ScrapeTarget> gpu_exporter_targets(const RenderInput& in) {
  return {{"gpu-exporter", scrape_address(in.manifest, ComponentKind::GpuExporter)}};
}

// HostConfig.DeviceRequests for spec.gpu.devices: what `docker run --gpus`
// sends. The engine's "nvidia" device driver exists where the NVIDIA
// container toolkit is installed (its runtime hook, or its CDI hook on
// engines that resolve GPUs through CDI).
json device_requests(const manifest::Gpu& gpu) {
  if (gpu.devices == GpuDevices::None) return json();
  json request = {{"Driver", "nvidia"}, {"Capabilities", json::array({json::array({"gpu"})})}};
  if (gpu.devices == GpuDevices::All) request["Count"] = -1;
  else request["DeviceIDs"] = gpu.device_ids;
  return json::array({request});
}

RenderedComponent render_gpu_exporter(const RenderInput& in) {
  const auto& m = in.manifest;
  const auto& gpu = m.gpu;
  RenderedComponent out;
  auto& s = out.container;
  s = container_spec(m, ComponentKind::GpuExporter, gpu.image);
  // The listen flag of each exporter (dcgm-exporter's image entrypoint runs
  // dcgm-exporter with these arguments; nvidia_gpu_exporter is the entrypoint).
  json cmd = json::array({gpu.exporter == GpuExporterKind::Dcgm ? "--address=" + listen_address(m, gpu)
                                                                 : "--web.listen-address=" + listen_address(m, gpu)});
  append_args(cmd, gpu);
  s.create_body["Cmd"] = cmd;
  // nvidia_gpu_exporter needs only the toolkit's nvidia-smi tier (its docs
  // pass this); dcgm-exporter's image sets its own.
  if (gpu.exporter == GpuExporterKind::NvidiaSmi && !gpu.env.count("NVIDIA_DRIVER_CAPABILITIES"))
    s.create_body["Env"].push_back("NVIDIA_DRIVER_CAPABILITIES=utility");
  if (auto requests = device_requests(gpu); !requests.is_null()) {
    s.create_body["HostConfig"]["DeviceRequests"] = requests;
    s.devices_unavailable_reason = "GPUUnavailable";
    s.devices_unavailable_fix =
        "install the NVIDIA container toolkit and restart the engine (then stackd starts the exporter), or set "
        "spec.gpu.vendor: none";
  }
  // Only dcgm-exporter's profiling counters need it, and only when asked for.
  if (gpu.profiling) s.create_body["HostConfig"]["CapAdd"] = json::array({"SYS_ADMIN"});
  set_urls(m, s, gpu);
  return out;
}

}  // namespace

ComponentDefinition gpu_exporter_component() {
  return {ComponentKind::GpuExporter, gpu_exporter_targets, render_gpu_exporter, gpu_exporter_runs};
}

}  // namespace stackd::desired

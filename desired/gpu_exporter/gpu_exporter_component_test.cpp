// The GPU exporter row of the component table: its container where NVIDIA
// cards are watched (the create document `docker run --gpus` would send),
// node-exporter's collectors where AMD cards are, nothing where none is.
#include <gtest/gtest.h>

#include "api/v1alpha1/loader.hpp"
#include "desired/render.hpp"

using namespace stackd;
using namespace stackd::desired;
using manifest::ComponentKind;
using manifest::GpuVendor;
using nlohmann::json;

namespace {

manifest::Manifest load(const std::string& gpu, const std::string& node_exporter = "{port: 19100}") {
  manifest::LoadOptions o;
  o.env = [](const std::string&) { return std::nullopt; };
  return manifest::load_from_string("apiVersion: stackd.dev/v1alpha1\nkind: MonitoringStack\nmetadata: {name: demo}\n"
                                    "spec:\n  network: host\n  prometheus: {port: 19090}\n  nodeExporter: " +
                                        node_exporter + "\n" + (gpu.empty() ? "" : "  gpu: " + gpu + "\n"),
                                    "/tmp/stack.yaml", o);
}

ResolvedValues values(GpuFacts facts = {}) {
  ResolvedValues v;
  v.host = "box-1";
  v.gpu = std::move(facts);
  return v;
}

GpuFacts nvidia_runtime() { return {.engine_answered = true, .runtimes = {"runc", "nvidia"}}; }

std::string prometheus_yml(const DesiredState& d) {
  for (const auto& f : d.live_set(LiveSet::PrometheusConfig)->files)
    if (f.path.ends_with("prometheus.yml")) return f.content;
  return "";
}

json cmd_of(const DesiredState& d, ComponentKind kind) { return d.container(kind)->create_body["Cmd"]; }

}  // namespace

TEST(GpuExporterComponent, NvidiaAllGpusIsDockersGpusAll) {
  auto d = render(load("{vendor: nvidia}"), values());
  const auto* c = d.container(ComponentKind::GpuExporter);
  ASSERT_NE(c, nullptr);
  EXPECT_EQ(c->name, "demo-gpu-exporter");
  EXPECT_EQ(c->image, "nvcr.io/nvidia/k8s/dcgm-exporter:4.5.3-4.8.2-distroless");
  EXPECT_EQ(c->create_body["HostConfig"]["DeviceRequests"],
            json::parse(R"([{"Driver":"nvidia","Count":-1,"Capabilities":[["gpu"]]}])"));
  EXPECT_EQ(c->create_body["Cmd"], json::parse(R"(["--address=127.0.0.1:9400"])"));
  EXPECT_FALSE(c->create_body["HostConfig"].contains("CapAdd")) << "no capability unless profiling is asked for";
  EXPECT_EQ(c->devices_unavailable_reason, "GPUUnavailable");
  EXPECT_NE(c->devices_unavailable_fix.find("install the NVIDIA container toolkit"), std::string::npos);
  EXPECT_NE(c->devices_unavailable_fix.find("spec.gpu.vendor: none"), std::string::npos);
  ASSERT_TRUE(d.gpu);
  EXPECT_EQ(d.gpu->vendor, GpuVendor::Nvidia);
  // Scraped by the stack's Prometheus, with the box's host label.
  auto yml = prometheus_yml(d);
  EXPECT_NE(yml.find("job_name: \"gpu-exporter\""), std::string::npos) << yml;
  EXPECT_NE(yml.find("127.0.0.1:9400"), std::string::npos) << yml;
}

TEST(GpuExporterComponent, ListedDevicesAndProfiling) {
  auto d = render(load("{vendor: nvidia, devices: [0, GPU-8f6c2b1e], profiling: true}"), values());
  const auto& host = d.container(ComponentKind::GpuExporter)->create_body["HostConfig"];
  EXPECT_EQ(host["DeviceRequests"], json::parse(R"([{"Driver":"nvidia","DeviceIDs":["0","GPU-8f6c2b1e"],"Capabilities":[["gpu"]]}])"));
  EXPECT_EQ(host["CapAdd"], json::parse(R"(["SYS_ADMIN"])"));
}

TEST(GpuExporterComponent, DevicesNoneRequestsNoGpu) {
  auto d = render(load("{vendor: nvidia, devices: none, image: 'stackd-test/dcgm-exporter:fixture'}"), values());
  const auto* c = d.container(ComponentKind::GpuExporter);
  ASSERT_NE(c, nullptr);
  EXPECT_FALSE(c->create_body["HostConfig"].contains("DeviceRequests"));
  EXPECT_EQ(c->devices_unavailable_reason, "");
}

TEST(GpuExporterComponent, NvidiaSmiExporter) {
  auto d = render(load("{vendor: nvidia, exporter: nvidia-smi, args: [--log.level=debug]}"), values());
  const auto* c = d.container(ComponentKind::GpuExporter);
  EXPECT_EQ(c->image, "utkuozdemir/nvidia_gpu_exporter:1.14.0");
  EXPECT_EQ(c->create_body["Cmd"], json::parse(R"(["--web.listen-address=127.0.0.1:9835","--log.level=debug"])"));
  EXPECT_EQ(c->create_body["Env"], json::parse(R"(["NVIDIA_DRIVER_CAPABILITIES=utility"])"));
  EXPECT_NE(prometheus_yml(d).find("127.0.0.1:9835"), std::string::npos);
}

TEST(GpuExporterComponent, AutoRunsTheExporterOnlyWhereTheEngineHasNvidia) {
  auto with = render(load("{}"), values(nvidia_runtime()));
  EXPECT_NE(with.container(ComponentKind::GpuExporter), nullptr);
  auto without = render(load("{}"), values({.engine_answered = true, .runtimes = {"runc"}, .host_read = true}));
  EXPECT_EQ(without.container(ComponentKind::GpuExporter), nullptr);
  ASSERT_TRUE(without.gpu);
  EXPECT_EQ(without.gpu->vendor, GpuVendor::None);
  EXPECT_EQ(prometheus_yml(without).find("gpu-exporter"), std::string::npos);
  // Nor is it one of the stack's components (the label that tells a container removed outside stackd).
  EXPECT_EQ(without.container(ComponentKind::Prometheus)->create_body["Labels"]["dev.stackd.stack-components"],
            "prometheus,node-exporter");
}

TEST(GpuExporterComponent, AnotherGpuNeverRecreatesTheOthers) {
  auto before = render(load(""), values());
  auto after = render(load("{vendor: nvidia}"), values());
  EXPECT_EQ(before.container(ComponentKind::Prometheus)->spec_hash, after.container(ComponentKind::Prometheus)->spec_hash);
  EXPECT_EQ(before.container(ComponentKind::NodeExporter)->spec_hash,
            after.container(ComponentKind::NodeExporter)->spec_hash);
  EXPECT_FALSE(before.gpu);
}

TEST(GpuExporterComponent, SameManifestAndFactsSameHash) {
  auto a = render(load("{}"), values(nvidia_runtime()));
  auto b = render(load("{}"), values(nvidia_runtime()));
  EXPECT_EQ(a.container(ComponentKind::GpuExporter)->spec_hash, b.container(ComponentKind::GpuExporter)->spec_hash);
  auto listed = render(load("{devices: [1]}"), values(nvidia_runtime()));
  EXPECT_NE(a.container(ComponentKind::GpuExporter)->spec_hash, listed.container(ComponentKind::GpuExporter)->spec_hash);
}

TEST(GpuExporterComponent, AmdEnablesNodeExportersCollectorsAndNoContainer) {
  auto d = render(load("{vendor: amd}"), values());
  EXPECT_EQ(d.container(ComponentKind::GpuExporter), nullptr);
  EXPECT_EQ(cmd_of(d, ComponentKind::NodeExporter),
            json::parse(R"(["--web.listen-address=127.0.0.1:19100","--path.rootfs=/host","--collector.drm","--collector.hwmon"])"));
  // Without GPU metrics, node-exporter's command is what it was.
  EXPECT_EQ(cmd_of(render(load(""), values()), ComponentKind::NodeExporter),
            json::parse(R"(["--web.listen-address=127.0.0.1:19100","--path.rootfs=/host"])"));
}

TEST(GpuExporterComponent, AmdNeverGivesAFlagTheUserGave) {
  // node-exporter refuses a flag given twice; --path.sysfs stays the user's.
  auto d = render(load("{vendor: amd}", "{port: 19100, args: [--collector.drm, --no-collector.hwmon, --path.sysfs=/fixture/sys]}"),
                  values());
  EXPECT_EQ(cmd_of(d, ComponentKind::NodeExporter),
            json::parse(R"(["--web.listen-address=127.0.0.1:19100","--path.rootfs=/host","--collector.drm","--no-collector.hwmon","--path.sysfs=/fixture/sys"])"));
  auto with_value = render(load("{vendor: amd}", "{port: 19100, args: ['--collector.hwmon=true']}"), values());
  EXPECT_EQ(cmd_of(with_value, ComponentKind::NodeExporter),
            json::parse(R"(["--web.listen-address=127.0.0.1:19100","--path.rootfs=/host","--collector.drm","--collector.hwmon=true"])"));
}

TEST(GpuExporterComponent, AutoFindsAmdCards) {
  auto d = render(load("{}"), values({.engine_answered = true, .runtimes = {"runc"}, .host_read = true, .amd_cards = {"card0"}}));
  EXPECT_EQ(d.container(ComponentKind::GpuExporter), nullptr);
  ASSERT_TRUE(d.gpu);
  EXPECT_EQ(d.gpu->vendor, GpuVendor::Amd);
  EXPECT_EQ(cmd_of(d, ComponentKind::NodeExporter).size(), 4u);
}

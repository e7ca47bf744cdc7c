// spec.gpu through the real loader: what a user writes, what the manifest
// then holds, and the file:line:col errors.
#include "api/v1alpha1/gpu_section.hpp"

#include <gtest/gtest.h>

#include "api/v1alpha1/loader.hpp"

using namespace stackd::manifest;

namespace {

const std::string kHead =
    "apiVersion: stackd.dev/v1alpha1\nkind: MonitoringStack\nmetadata: {name: demo}\nspec:\n"
    "  prometheus: {port: 9090}\n  nodeExporter: {port: 9100}\n";

LoadOptions options() {
  LoadOptions o;
  o.env = [](const std::string&) -> std::optional<std::string> { return std::nullopt; };
  return o;
}

Manifest load_spec(const std::string& tail, const std::string& head = kHead) {
  return load_from_string(head + tail, "/tmp/stackd-gpu-section/stack.yaml", options());
}

std::string errors_of(const std::string& tail, const std::string& head = kHead) {
  try {
    load_spec(tail, head);
  } catch (const ManifestError& e) {
    return e.what();
  }
  return "";
}

}  // namespace

TEST(GpuSection, AbsentMeansNoGpuMetrics) {
  auto m = load_spec("");
  EXPECT_FALSE(m.gpu.declared);
  EXPECT_FALSE(m.gpu.wanted());
  EXPECT_FALSE(m.gpu.enabled);
}

// The gpu part of design.md's §2 example, as written there.
TEST(GpuSection, DesignExampleIsValid) {
  auto m = load_spec(
      "  gpu:                                               # GPU metrics next to Ollama's\n"
      "    vendor: auto                                     # auto | nvidia | amd | none\n"
      "    exporter: dcgm                                   # NVIDIA only: dcgm | nvidia-smi\n"
      "    devices: all                                     # all | none | [GPU ids]\n");
  EXPECT_TRUE(m.gpu.wanted());
  EXPECT_TRUE(m.gpu.enabled);  // auto may find NVIDIA: the container may run
  EXPECT_EQ(m.gpu.vendor, GpuVendor::Auto);
  EXPECT_EQ(m.gpu.exporter, GpuExporterKind::Dcgm);
  EXPECT_EQ(m.gpu.devices, GpuDevices::All);
  EXPECT_EQ(m.gpu.image, std::string(kDcgmExporterImage));
  EXPECT_EQ(m.gpu.port, 9400);
  EXPECT_FALSE(m.gpu.profiling);
}

TEST(GpuSection, AnEmptySectionIsAuto) {
  auto m = load_spec("  gpu: {}\n");
  EXPECT_TRUE(m.gpu.wanted());
  EXPECT_EQ(m.gpu.vendor, GpuVendor::Auto);
  EXPECT_EQ(m.gpu.devices, GpuDevices::All);
}

TEST(GpuSection, NvidiaSmiTakesItsOwnImageAndPortUnlessGiven) {
  auto m = load_spec("  gpu: {vendor: nvidia, exporter: nvidia-smi}\n");
  EXPECT_EQ(m.gpu.image, std::string(kNvidiaSmiExporterImage));
  EXPECT_EQ(m.gpu.port, 9835);
  auto own = load_spec("  gpu: {vendor: nvidia, exporter: nvidia-smi, image: 'mirror.local/nvidia_gpu_exporter:1.14.0', port: 19835}\n");
  EXPECT_EQ(own.gpu.image, "mirror.local/nvidia_gpu_exporter:1.14.0");
  EXPECT_EQ(own.gpu.port, 19835);
}

TEST(GpuSection, DevicesAllNoneOrAList) {
  EXPECT_EQ(load_spec("  gpu: {vendor: nvidia, devices: none}\n").gpu.devices, GpuDevices::None);
  auto listed = load_spec("  gpu: {vendor: nvidia, devices: [0, GPU-8f6c2b1e-4a8d-11ee-be56-0242ac120002]}\n");
  EXPECT_EQ(listed.gpu.devices, GpuDevices::Listed);
  EXPECT_EQ(listed.gpu.device_ids, (std::vector<std::string>{"0", "GPU-8f6c2b1e-4a8d-11ee-be56-0242ac120002"}));
}

TEST(GpuSection, AmdAndNoneRunNoContainer) {
  auto amd = load_spec("  gpu: {vendor: amd}\n");
  EXPECT_TRUE(amd.gpu.wanted());
  EXPECT_FALSE(amd.gpu.enabled);
  auto none = load_spec("  gpu: {vendor: none}\n");
  EXPECT_FALSE(none.gpu.wanted());
  EXPECT_FALSE(none.gpu.enabled);
  auto off = load_spec("  gpu: {vendor: nvidia, enabled: false}\n");
  EXPECT_FALSE(off.gpu.wanted());
  EXPECT_FALSE(off.gpu.enabled);
}

TEST(GpuSection, ProfilingIsDcgmOnly) {
  EXPECT_TRUE(load_spec("  gpu: {vendor: nvidia, profiling: true}\n").gpu.profiling);
  auto e = errors_of("  gpu:\n    vendor: nvidia\n    exporter: nvidia-smi\n    profiling: true\n");
  EXPECT_NE(e.find("stack.yaml:10:16: spec.gpu.profiling is dcgm-exporter's"), std::string::npos) << e;
}

TEST(GpuSection, BadValuesHavePositions) {
  auto e = errors_of(
      "  gpu:\n"
      "    vendor: intel\n"
      "    exporter: nvml\n"
      "    devices: [0, 'bad id', 0]\n"
      "    profilng: true\n");
  EXPECT_NE(e.find("stack.yaml:8:13: spec.gpu.vendor must be one of auto | nvidia | amd | none (not 'intel')"),
            std::string::npos) << e;
  EXPECT_NE(e.find("stack.yaml:9:15: spec.gpu.exporter must be one of dcgm | nvidia-smi"), std::string::npos) << e;
  EXPECT_NE(e.find("stack.yaml:10:18: spec.gpu.devices: 'bad id' is not a GPU id"), std::string::npos) << e;
  EXPECT_NE(e.find("stack.yaml:10:28: spec.gpu.devices: GPU '0' is listed twice"), std::string::npos) << e;
  EXPECT_NE(e.find("stack.yaml:11:5: unknown field 'profilng' in spec.gpu"), std::string::npos) << e;
  auto empty = errors_of("  gpu: {devices: []}\n");
  EXPECT_NE(empty.find("spec.gpu.devices is an empty list (write `none`"), std::string::npos) << empty;
}

TEST(GpuSection, ContainerFieldsWithoutAContainerAreErrors) {
  auto e = errors_of("  gpu:\n    vendor: amd\n    image: 'x/y:1'\n    exporter: dcgm\n");
  EXPECT_NE(e.find("stack.yaml:9:12: spec.gpu.image has no effect with vendor: amd"), std::string::npos) << e;
  EXPECT_NE(e.find("stack.yaml:10:15: spec.gpu.exporter has no effect with vendor: amd"), std::string::npos) << e;
}

TEST(GpuSection, AmdNeedsNodeExporter) {
  auto e = errors_of("  gpu: {vendor: amd}\n",
                     "apiVersion: stackd.dev/v1alpha1\nkind: MonitoringStack\nmetadata: {name: demo}\nspec:\n"
                     "  prometheus: {port: 9090}\n");
  EXPECT_NE(e.find("spec.gpu.vendor: amd needs spec.nodeExporter"), std::string::npos) << e;
}

TEST(GpuSection, ThePortIsCheckedAgainstTheOthers) {
  auto e = errors_of("  gpu: {vendor: nvidia, port: 9100}\n");
  EXPECT_NE(e.find("port 9100 of gpu is already used by nodeExporter"), std::string::npos) << e;
  // No container for AMD: its port is nobody's.
  EXPECT_EQ(errors_of("  gpu: {vendor: amd}\n  alertmanager: {port: 9400, receivers: [{name: a, webhook: {url: 'http://127.0.0.1:1/'}}]}\n"), "");
}

TEST(GpuSection, ItsScrapeJobIsGenerated) {
  EXPECT_EQ(load_spec("  gpu: {vendor: nvidia}\n").gpu.enabled, true);
}

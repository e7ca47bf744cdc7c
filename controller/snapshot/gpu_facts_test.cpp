// spec.gpu.vendor: auto, decided from recorded GET /info answers
// (testdata/README.md) and sysfs trees shaped like the kernel's: what the
// engine and the host say becomes the desired state's GPU decision.
#include "controller/snapshot/gpu_facts.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>

#include "api/v1alpha1/loader.hpp"
#include "controller/snapshot/engine_facts.hpp"

namespace stackd::snapshot {
namespace {

namespace fs = std::filesystem;
using manifest::GpuVendor;

docker::EngineInfo recorded(const std::string& file) {
  std::ifstream in(fs::path(STACKD_SNAPSHOT_TESTDATA) / file);
  std::stringstream ss;
  ss << in.rdbuf();
  return docker::engine_info_from_json(nlohmann::json::parse(ss.str()));
}

manifest::Manifest manifest_with(const std::string& gpu, bool node_exporter = true) {
  manifest::LoadOptions o;
  o.env = [](const std::string&) -> std::optional<std::string> { return std::nullopt; };
  return manifest::load_from_string("apiVersion: stackd.dev/v1alpha1\nkind: MonitoringStack\nmetadata: {name: t}\n"
                                    "spec:\n  prometheus: {}\n" +
                                        std::string(node_exporter ? "  nodeExporter: {}\n" : "") + "  gpu: " + gpu + "\n",
                                    "/tmp/stack.yaml", o);
}

// A sysfs tree as the kernel lays it out for DRM cards: class/drm/cardN
// links into the PCI device, whose uevent names the driver.
struct Sysfs {
  fs::path root = fs::temp_directory_path() / ("stackd-sysfs-" + std::to_string(std::random_device{}()));
  Sysfs() { fs::create_directories(root / "class" / "drm"); }
  ~Sysfs() { fs::remove_all(root); }
  void card(const std::string& name, const std::string& pci, const std::string& driver) {
    auto device = root / "devices" / "pci0000:00" / pci;
    fs::create_directories(device / "drm" / name);
    std::ofstream(device / "uevent") << "DRIVER=" << driver << "\nPCI_CLASS=30000\nPCI_ID=1002:744C\nPCI_SLOT_NAME=" << pci
                                     << "\nMODALIAS=pci:v00001002d0000744Csv\n";
    fs::create_directory_symlink(fs::path("../../..") / pci, device / "drm" / name / "device");
    fs::create_directory_symlink(fs::path("../../devices/pci0000:00") / pci / "drm" / name, root / "class" / "drm" / name);
  }
  void connector(const std::string& name) { fs::create_directories(root / "class" / "drm" / name); }
};

desired::GpuDecision decide(const std::string& gpu, const std::optional<docker::EngineInfo>& engine,
                            const std::optional<std::vector<std::string>>& cards, bool node_exporter = true) {
  return desired::decide_gpu(manifest_with(gpu, node_exporter), gpu_facts(engine, cards));
}

}  // namespace

TEST(GpuAuto, AnEngineWithoutTheToolkitAndNoAmdCardIsNoGpu) {
  auto d = decide("{}", recorded("info-20.10-runc.json"), std::vector<std::string>{});
  EXPECT_EQ(d.vendor, GpuVendor::None);
  EXPECT_EQ(d.why, "vendor auto: no GPU found (the engine has no nvidia runtime and lists no NVIDIA CDI device; no "
                   "amdgpu card under /sys/class/drm)");
}

TEST(GpuAuto, TheNvidiaRuntimeMeansNvidia) {
  auto d = decide("{vendor: auto}", recorded("info-20.10-nvidia-runtime.json"), std::vector<std::string>{});
  EXPECT_EQ(d.vendor, GpuVendor::Nvidia);
  EXPECT_EQ(d.why, "vendor auto: the engine has the nvidia runtime (the NVIDIA container toolkit)");
}

TEST(GpuAuto, NvidiaCdiDevicesMeanNvidia) {
  auto d = decide("{}", recorded("info-28-cdi.json"), std::nullopt);
  EXPECT_EQ(d.vendor, GpuVendor::Nvidia);
  EXPECT_EQ(d.why, "vendor auto: the engine lists NVIDIA CDI devices (nvidia.com/gpu=0, "
                   "nvidia.com/gpu=GPU-4c2d1a8e-9f31-7b2e-0c55-6d1e3f8a9b70, nvidia.com/gpu=all)");
}

TEST(GpuAuto, AmdCdiDevicesAreNotNvidia) {
  auto d = decide("{}", recorded("info-28-amd-cdi-only.json"), std::vector<std::string>{});
  EXPECT_EQ(d.vendor, GpuVendor::None);
}

TEST(GpuAuto, AmdCardsUnderSysMeanAmd) {
  Sysfs sys;
  sys.card("card0", "0000:03:00.0", "amdgpu");
  sys.card("card1", "0000:00:02.0", "i915");
  sys.connector("card0-DP-1");
  sys.connector("renderD128");
  auto cards = amd_cards(sys.root);
  ASSERT_TRUE(cards);
  EXPECT_EQ(*cards, std::vector<std::string>{"card0"});
  auto d = decide("{}", recorded("info-20.10-runc.json"), cards);
  EXPECT_EQ(d.vendor, GpuVendor::Amd);
  EXPECT_EQ(d.why, "vendor auto: amdgpu cards under /sys/class/drm (card0)");
  // Without node-exporter nothing reads them: said, not done.
  auto without = decide("{}", recorded("info-20.10-runc.json"), cards, false);
  EXPECT_EQ(without.vendor, GpuVendor::None);
  EXPECT_NE(without.why.find("spec.nodeExporter is not enabled"), std::string::npos) << without.why;
}

TEST(GpuAuto, NvidiaWinsOverAmdOnABoxWithBoth) {
  EXPECT_EQ(decide("{}", recorded("info-20.10-nvidia-runtime.json"), std::vector<std::string>{"card0"}).vendor,
            GpuVendor::Nvidia);
}

TEST(GpuAuto, UnreadableSysAndNoEngineAreSaid) {
  EXPECT_FALSE(amd_cards("/nonexistent/sys"));
  auto d = decide("{}", std::nullopt, std::nullopt);
  EXPECT_EQ(d.vendor, GpuVendor::None);
  EXPECT_EQ(d.why, "vendor auto: no GPU found (the engine did not say which runtimes it has (GET /info); "
                   "/sys/class/drm could not be read)");
}

TEST(GpuAuto, AnExplicitVendorIsNotDetected) {
  EXPECT_EQ(decide("{vendor: nvidia}", recorded("info-20.10-runc.json"), std::nullopt).vendor, GpuVendor::Nvidia);
  EXPECT_EQ(decide("{vendor: nvidia}", recorded("info-20.10-runc.json"), std::nullopt).why, "spec.gpu.vendor: nvidia");
  EXPECT_EQ(decide("{vendor: amd}", recorded("info-20.10-nvidia-runtime.json"), std::nullopt).vendor, GpuVendor::Amd);
}

TEST(GpuAuto, OnlyAutoAsksTheEngine) {
  EXPECT_TRUE(needs_engine_facts(manifest_with("{}")));
  auto nvidia = manifest_with("{vendor: nvidia}");
  nvidia.prometheus.external_labels["host"] = "box";
  EXPECT_FALSE(needs_engine_facts(nvidia));
  auto auto_gpu = manifest_with("{vendor: auto}");
  auto_gpu.prometheus.external_labels["host"] = "box";
  EXPECT_TRUE(needs_engine_facts(auto_gpu));
}

}  // namespace stackd::snapshot

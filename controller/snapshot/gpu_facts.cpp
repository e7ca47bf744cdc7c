#include "controller/snapshot/gpu_facts.hpp"

#include <algorithm>
#include <fstream>

namespace stackd::snapshot {

namespace fs = std::filesystem;

namespace {

constexpr std::size_t kMaxCards = 64;
constexpr std::size_t kMaxUevent = 4096;

// card0, card12: not card0-DP-1 (a connector) nor renderD128.
bool is_card_name(const std::string& name) {
  if (name.size() <= 4 || name.compare(0, 4, "card") != 0) return false;
  return std::all_of(name.begin() + 4, name.end(), [](char c) { return c >= '0' && c <= '9'; });
}

// One KEY=VALUE line per property; true when DRIVER=amdgpu is one of them.
bool driver_is_amdgpu(const fs::path& uevent) {
  std::ifstream in(uevent);
  if (!in) return false;
  std::string text(kMaxUevent, '\0');
  in.read(text.data(), static_cast<std::streamsize>(text.size()));
  text.resize(static_cast<std::size_t>(in.gcount()));
  std::size_t start = 0;
  while (start < text.size()) {
    auto end = text.find('\n', start);
    if (end == std::string::npos) end = text.size();
    if (text.compare(start, end - start, "DRIVER=amdgpu") == 0) return true;
    start = end + 1;
  }
  return false;
}

}  // namespace

std::optional<std::vector<std::string>> amd_cards(const fs::path& sysfs) {
  std::error_code ec;
  fs::directory_iterator it(sysfs / "class" / "drm", ec);
  if (ec) return std::nullopt;
  std::vector<std::string> names;
  for (const auto& entry : it) {
    auto name = entry.path().filename().string();
    if (is_card_name(name) && names.size() < kMaxCards) names.push_back(name);
  }
  std::sort(names.begin(), names.end(), [](const std::string& a, const std::string& b) {
    return a.size() != b.size() ? a.size() < b.size() : a < b;  // card2 before card10
  });
  std::vector<std::string> out;
  for (const auto& name : names)
    if (driver_is_amdgpu(sysfs / "class" / "drm" / name / "device" / "uevent")) out.push_back(name);
  return out;
}

desired::GpuFacts gpu_facts(const std::optional<docker::EngineInfo>& engine,
                            const std::optional<std::vector<std::string>>& cards) {
  desired::GpuFacts facts;
  if (engine) {
    facts.engine_answered = true;
    facts.runtimes = engine->runtimes;
    facts.cdi_devices = engine->cdi_devices;
  }
  if (cards) {
    facts.host_read = true;
    facts.amd_cards = *cards;
  }
  return facts;
}

}  // namespace stackd::snapshot

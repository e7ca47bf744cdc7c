#pragma once
// What `spec.gpu.vendor: auto` decides from (desired/gpu_exporter/
// gpu_decision.hpp): the engine's runtimes and CDI devices (GET /info) and
// the host's amdgpu cards, read from sysfs as node-exporter sees it (its
// container's /sys is the host's: the engine mounts sysfs into every
// container, and stackd's own /sys is the same, on the host or in a
// container).
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "clients/docker/docker_api.hpp"
#include "desired/gpu_exporter/gpu_decision.hpp"

namespace stackd::snapshot {

// The DRM cards under `sysfs`/class/drm whose device's uevent says
// DRIVER=amdgpu (how node-exporter's drm collector finds them): "card0", ...
// nullopt when the directory cannot be read. Bounded: at most 64 cards,
// 4 KiB of uevent each.
std::optional<std::vector<std::string>> amd_cards(const std::filesystem::path& sysfs);

// The facts for rendering: the engine's answer (nullopt: not asked or no
// answer) and the host's cards.
desired::GpuFacts gpu_facts(const std::optional<docker::EngineInfo>& engine,
                            const std::optional<std::vector<std::string>>& cards);

}  // namespace stackd::snapshot

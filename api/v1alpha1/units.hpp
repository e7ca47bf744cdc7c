#pragma once
// Durations ("15s", "1h30m", "15d") and sizes ("20GB", "512MiB") as the
// manifest writes them, following Prometheus' and Docker's conventions.
#include <chrono>
#include <cstdint>
#include <optional>
#include <string_view>

namespace stackd::manifest {

// Units: ms, s, m, h, d, w, y (Prometheus). Combined forms like 1h30m.
std::optional<std::chrono::milliseconds> parse_duration(std::string_view text);
// B, KB/MB/GB/TB (powers of 1000), KiB/MiB/GiB/TiB (powers of 1024), and
// k/m/g (Docker's memory suffixes, powers of 1024). Bare numbers are bytes.
std::optional<std::uint64_t> parse_size(std::string_view text);

}  // namespace stackd::manifest

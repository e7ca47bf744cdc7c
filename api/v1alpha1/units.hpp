#pragma once
// Durations ("15s", "1h30m", "15d") and sizes ("20GB", "512MiB") as the
// manifest writes them, following Prometheus' and Docker's conventions.
#include <chrono>
#include <cstdint>
#include <optional>
#include <string_view>

namespace stackd::manifest {

// Units: ms, s, m, h, d, w, y (Prometheus). Combined forms like 1h30m.
// nullopt for anything else, and for values that do not fit in int64
// milliseconds (callers bound each field further).
std::optional<std::chrono::milliseconds> parse_duration(std::string_view text);

// The largest size parse_size accepts: 1 EiB, beyond any disk or memory and
// well inside Docker's and Prometheus' int64 byte counts.
inline constexpr std::uint64_t kMaxSizeBytes = 1ULL << 60;
// B, KB/MB/GB/TB (powers of 1000), KiB/MiB/GiB/TiB (powers of 1024), and
// k/m/g (Docker's memory suffixes, powers of 1024). Bare numbers are bytes.
// At most one '.', digits on both sides; nullopt above kMaxSizeBytes.
std::optional<std::uint64_t> parse_size(std::string_view text);

}  // namespace stackd::manifest

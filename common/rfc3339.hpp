#pragma once
// RFC 3339 times as Go's time.Time writes them in JSON
// ("2024-06-04T14:38:31.83753-07:00", "2026-01-01T00:00:00Z"), to a
// system_clock time point. Bounded input, no locale, no std::regex.
#include <chrono>
#include <optional>
#include <string_view>

namespace stackd {

// nullopt for anything else (missing zone, bad digits, out-of-range fields,
// more than 64 bytes). Fractional seconds are kept to the microsecond, which
// also keeps far dates in range (a nanosecond system_clock ends in 2262, and
// Go writes a keep-alive of "forever" as ~292 years ahead).
std::optional<std::chrono::sys_time<std::chrono::microseconds>> parse_rfc3339(std::string_view text);

}  // namespace stackd

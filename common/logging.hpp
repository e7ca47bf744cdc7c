#pragma once
// Process-wide logging setup: human text by default, one JSON object per line
// with --log-format json. Secrets must never be passed to the logger.
#include <string_view>

namespace stackd {

enum class LogFormat { Text, Json };

// Throws std::invalid_argument for an unknown format name.
LogFormat parse_log_format(std::string_view name);
void setup_logging(LogFormat format, std::string_view level = "info");

}  // namespace stackd

#include "api/v1alpha1/units.hpp"

#include <cctype>
#include <string>

namespace stackd::manifest {

std::optional<std::chrono::milliseconds> parse_duration(std::string_view text) {
  if (text.empty()) return std::nullopt;
  std::int64_t total = 0;
  std::size_t i = 0;
  while (i < text.size()) {
    std::size_t start = i;
    while (i < text.size() && std::isdigit(static_cast<unsigned char>(text[i]))) ++i;
    if (i == start || i - start > 12) return std::nullopt;
    std::int64_t n = std::stoll(std::string(text.substr(start, i - start)));
    std::size_t ustart = i;
    while (i < text.size() && std::isalpha(static_cast<unsigned char>(text[i]))) ++i;
    auto unit = text.substr(ustart, i - ustart);
    std::int64_t ms;
    if (unit == "ms") ms = 1;
    else if (unit == "s") ms = 1000;
    else if (unit == "m") ms = 60'000;
    else if (unit == "h") ms = 3'600'000;
    else if (unit == "d") ms = 86'400'000;
    else if (unit == "w") ms = 7 * 86'400'000LL;
    else if (unit == "y") ms = 365 * 86'400'000LL;
    else return std::nullopt;
    total += n * ms;
  }
  return std::chrono::milliseconds(total);
}

std::optional<std::uint64_t> parse_size(std::string_view text) {
  std::size_t i = 0;
  while (i < text.size() && (std::isdigit(static_cast<unsigned char>(text[i])) || text[i] == '.')) ++i;
  if (i == 0 || i > 20) return std::nullopt;
  double n;
  try {
    n = std::stod(std::string(text.substr(0, i)));
  } catch (...) {
    return std::nullopt;
  }
  auto unit = std::string(text.substr(i));
  double mult;
  if (unit.empty() || unit == "B") mult = 1;
  else if (unit == "KB") mult = 1e3;
  else if (unit == "MB") mult = 1e6;
  else if (unit == "GB") mult = 1e9;
  else if (unit == "TB") mult = 1e12;
  else if (unit == "KiB" || unit == "k" || unit == "K") mult = 1024.0;
  else if (unit == "MiB" || unit == "m" || unit == "M") mult = 1024.0 * 1024;
  else if (unit == "GiB" || unit == "g" || unit == "G") mult = 1024.0 * 1024 * 1024;
  else if (unit == "TiB") mult = 1024.0 * 1024 * 1024 * 1024;
  else return std::nullopt;
  double bytes = n * mult;
  if (bytes < 0 || bytes > 1.8e19) return std::nullopt;
  return static_cast<std::uint64_t>(bytes);
}

}  // namespace stackd::manifest

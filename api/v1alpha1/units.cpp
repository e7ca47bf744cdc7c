#include "api/v1alpha1/units.hpp"

#include <cctype>
#include <limits>

namespace stackd::manifest {

namespace {

// Parses the digits at text[i...] into n; false when there are none, or more
// than fit (checked arithmetic: a long digit string must not wrap).
bool read_digits(std::string_view text, std::size_t& i, std::uint64_t& n) {
  std::size_t start = i;
  n = 0;
  while (i < text.size() && std::isdigit(static_cast<unsigned char>(text[i]))) {
    if (__builtin_mul_overflow(n, 10u, &n) || __builtin_add_overflow(n, static_cast<unsigned>(text[i] - '0'), &n))
      return false;
    ++i;
  }
  return i > start;
}

}  // namespace

std::optional<std::chrono::milliseconds> parse_duration(std::string_view text) {
  if (text.empty() || text.size() > 64) return std::nullopt;
  std::int64_t total = 0;
  std::size_t i = 0;
  while (i < text.size()) {
    std::uint64_t n;
    if (!read_digits(text, i, n) || n > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max()))
      return std::nullopt;
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
    std::int64_t part;
    if (__builtin_mul_overflow(static_cast<std::int64_t>(n), ms, &part) || __builtin_add_overflow(total, part, &total))
      return std::nullopt;
  }
  return std::chrono::milliseconds(total);
}

std::optional<std::uint64_t> parse_size(std::string_view text) {
  // digits, optionally '.' digits, then a unit: nothing else ("1.2.3GB",
  // "1e9", " 5").
  if (text.empty() || text.size() > 32) return std::nullopt;
  std::size_t i = 0;
  std::uint64_t whole;
  if (!read_digits(text, i, whole)) return std::nullopt;
  std::uint64_t fraction = 0, fraction_scale = 1;
  if (i < text.size() && text[i] == '.') {
    ++i;
    std::size_t start = i;
    while (i < text.size() && std::isdigit(static_cast<unsigned char>(text[i]))) {
      if (i - start >= 9) return std::nullopt;  // more precision than any unit needs
      fraction = fraction * 10 + static_cast<std::uint64_t>(text[i] - '0');
      fraction_scale *= 10;
      ++i;
    }
    if (i == start) return std::nullopt;
  }
  auto unit = text.substr(i);
  std::uint64_t mult;
  if (unit.empty() || unit == "B") mult = 1;
  else if (unit == "KB") mult = 1000ULL;
  else if (unit == "MB") mult = 1000ULL * 1000;
  else if (unit == "GB") mult = 1000ULL * 1000 * 1000;
  else if (unit == "TB") mult = 1000ULL * 1000 * 1000 * 1000;
  else if (unit == "KiB" || unit == "k" || unit == "K") mult = 1ULL << 10;
  else if (unit == "MiB" || unit == "m" || unit == "M") mult = 1ULL << 20;
  else if (unit == "GiB" || unit == "g" || unit == "G") mult = 1ULL << 30;
  else if (unit == "TiB") mult = 1ULL << 40;
  else return std::nullopt;
  std::uint64_t bytes;
  if (__builtin_mul_overflow(whole, mult, &bytes)) return std::nullopt;
  // fraction < 1e9 and mult <= 2^40: the product fits in 128 bits.
  unsigned __int128 frac_bytes = static_cast<unsigned __int128>(fraction) * mult / fraction_scale;
  if (frac_bytes > kMaxSizeBytes || __builtin_add_overflow(bytes, static_cast<std::uint64_t>(frac_bytes), &bytes))
    return std::nullopt;
  if (bytes > kMaxSizeBytes) return std::nullopt;
  return bytes;
}

}  // namespace stackd::manifest

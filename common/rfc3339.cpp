#include "common/rfc3339.hpp"

namespace stackd {

namespace {

// `n` digits at `pos`, advancing it.
std::optional<int> digits(std::string_view s, std::size_t& pos, int n) {
  if (pos + static_cast<std::size_t>(n) > s.size()) return std::nullopt;
  int v = 0;
  for (int i = 0; i < n; ++i) {
    char c = s[pos++];
    if (c < '0' || c > '9') return std::nullopt;
    v = v * 10 + (c - '0');
  }
  return v;
}

bool expect(std::string_view s, std::size_t& pos, char c) {
  if (pos >= s.size() || s[pos] != c) return false;
  ++pos;
  return true;
}

}  // namespace

std::optional<std::chrono::sys_time<std::chrono::microseconds>> parse_rfc3339(std::string_view s) {
  using namespace std::chrono;
  if (s.size() > 64) return std::nullopt;
  std::size_t pos = 0;
  auto year = digits(s, pos, 4);
  if (!year || !expect(s, pos, '-')) return std::nullopt;
  auto month = digits(s, pos, 2);
  if (!month || !expect(s, pos, '-')) return std::nullopt;
  auto day = digits(s, pos, 2);
  if (!day || pos >= s.size() || (s[pos] != 'T' && s[pos] != 't')) return std::nullopt;
  ++pos;
  auto hour = digits(s, pos, 2);
  if (!hour || !expect(s, pos, ':')) return std::nullopt;
  auto minute = digits(s, pos, 2);
  if (!minute || !expect(s, pos, ':')) return std::nullopt;
  auto second = digits(s, pos, 2);
  if (!second || *hour > 23 || *minute > 59 || *second > 60) return std::nullopt;
  const year_month_day date{std::chrono::year{*year}, std::chrono::month{static_cast<unsigned>(*month)},
                            std::chrono::day{static_cast<unsigned>(*day)}};
  if (!date.ok()) return std::nullopt;
  microseconds fraction{0};
  if (pos < s.size() && s[pos] == '.') {
    ++pos;
    std::size_t start = pos;
    long long us = 0;
    int kept = 0;
    while (pos < s.size() && s[pos] >= '0' && s[pos] <= '9') {
      if (kept < 6) {
        us = us * 10 + (s[pos] - '0');
        ++kept;
      }
      ++pos;
    }
    if (pos == start) return std::nullopt;
    while (kept++ < 6) us *= 10;
    fraction = microseconds(us);
  }
  seconds offset{0};
  if (pos < s.size() && (s[pos] == 'Z' || s[pos] == 'z')) {
    ++pos;
  } else if (pos < s.size() && (s[pos] == '+' || s[pos] == '-')) {
    const int sign = s[pos++] == '+' ? 1 : -1;
    auto oh = digits(s, pos, 2);
    if (!oh || !expect(s, pos, ':')) return std::nullopt;
    auto om = digits(s, pos, 2);
    if (!om || *oh > 23 || *om > 59) return std::nullopt;
    offset = seconds(sign * (*oh * 3600 + *om * 60));
  } else {
    return std::nullopt;
  }
  if (pos != s.size()) return std::nullopt;
  return sys_days{date} + hours(*hour) + minutes(*minute) + seconds(*second) + fraction - offset;
}

}  // namespace stackd

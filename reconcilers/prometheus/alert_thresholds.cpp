#include "reconcilers/prometheus/alert_thresholds.hpp"

#include <algorithm>
#include <regex>
#include <stdexcept>

namespace stackd::prometheus {

std::string render_alert_thresholds(const std::string& content, const manifest::Alerts& alerts, const std::string& file) {
  static const std::regex placeholder(R"(\$\{alerts\.([^}]*)\})");
  static const std::regex tunable(R"(^([A-Za-z]+)\.(threshold|for):-([^}]+)$)");
  static const std::regex runbook(R"(^runbookUrl:-([^}]+)$)");
  std::string out;
  out.reserve(content.size());
  auto begin = content.cbegin();
  for (std::sregex_iterator it(content.begin(), content.end(), placeholder), end; it != end; ++it) {
    const auto& match = *it;
    out.append(begin, match[0].first);
    begin = match[0].second;
    const std::string body = match[1].str();
    std::smatch parts;
    if (std::regex_match(body, parts, runbook)) {
      out += alerts.runbook_url.value_or(parts[1].str());
      continue;
    }
    if (!std::regex_match(body, parts, tunable))
      throw std::invalid_argument(file + ": placeholder ${alerts." + body +
                                  "} must be ${alerts.NAME.threshold:-DEFAULT}, ${alerts.NAME.for:-DEFAULT} or "
                                  "${alerts.runbookUrl:-DEFAULT}");
    const std::string name = parts[1].str(), field = parts[2].str(), fallback = parts[3].str();
    const auto& names = manifest::tunable_alerts();
    if (std::none_of(names.begin(), names.end(), [&](const auto& n) { return n.first == name; }))
      throw std::invalid_argument(file + ": ${alerts." + name + "." + field + "} names no tunable alert");
    std::optional<std::string> value;
    if (auto t = alerts.tuning.find(name); t != alerts.tuning.end())
      value = field == "threshold" ? t->second.threshold : t->second.for_duration;
    out += value.value_or(fallback);
  }
  out.append(begin, content.cend());
  return out;
}

}  // namespace stackd::prometheus

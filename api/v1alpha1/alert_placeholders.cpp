#include "api/v1alpha1/alert_placeholders.hpp"

#include <algorithm>

#include "api/v1alpha1/alerting.hpp"
#include "api/v1alpha1/field_syntax.hpp"

namespace stackd::manifest {

namespace {

constexpr std::string_view kOpen = "${alerts.";
constexpr std::size_t kMaxReported = 20;

bool letters(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); });
}

// Reads the part between "${alerts." and '}' into `p`.
void read_body(std::string_view body, AlertPlaceholder& p) {
  constexpr std::string_view kRunbook = "runbookUrl:-";
  if (body.starts_with(kRunbook) && body.size() > kRunbook.size()) {
    p.field = AlertField::RunbookUrl;
    p.fallback = body.substr(kRunbook.size());
    return;
  }
  // NAME.threshold:-DEFAULT or NAME.for:-DEFAULT
  const auto dot = body.find('.');
  const auto sep = body.find(":-");
  const auto name = body.substr(0, std::min(dot, body.size()));
  const bool has_default = sep != std::string_view::npos && sep + 2 < body.size();
  const auto field = has_default && dot < sep ? body.substr(dot + 1, sep - dot - 1) : std::string_view();
  if (!letters(name) || (field != "threshold" && field != "for")) {
    p.problem = "placeholder ${alerts." + shown(body) +
                "} must be ${alerts.NAME.threshold:-DEFAULT}, ${alerts.NAME.for:-DEFAULT} or ${alerts.runbookUrl:-DEFAULT}";
    return;
  }
  const auto& tunable = tunable_alerts();
  const auto known = std::find_if(tunable.begin(), tunable.end(), [&](const auto& t) { return t.first == name; });
  if (known == tunable.end()) {
    p.problem = "${alerts." + shown(name) + "." + std::string(field) + "} names no tunable alert";
    return;
  }
  if (field == "threshold" && known->second == ThresholdKind::None) {
    // The manifest refuses a threshold for it, so this one could never be set.
    p.problem = "${alerts." + std::string(name) + ".threshold} names an alert whose threshold cannot be set (only its 'for')";
    return;
  }
  p.field = field == "threshold" ? AlertField::Threshold : AlertField::For;
  p.alert = name;
  p.fallback = body.substr(sep + 2);
}

}  // namespace

std::optional<AlertPlaceholder> next_alert_placeholder(std::string_view text, std::size_t from) {
  const auto begin = text.find(kOpen, from);
  if (begin == std::string_view::npos) return std::nullopt;
  const auto close = text.find('}', begin + kOpen.size());
  if (close == std::string_view::npos) return std::nullopt;
  AlertPlaceholder p;
  p.begin = begin;
  p.end = close + 1;
  read_body(text.substr(begin + kOpen.size(), close - begin - kOpen.size()), p);
  return p;
}

void check_alert_placeholders(std::string_view text, const std::string& file, Diagnostics& diags) {
  std::size_t reported = 0, more = 0;
  // Line and column of `counted`, advanced only forwards: one pass in all.
  std::size_t counted = 0, line_start = 0;
  int line = 1;
  for (auto p = next_alert_placeholder(text, 0); p; p = next_alert_placeholder(text, p->end)) {
    if (p->problem.empty()) continue;
    if (reported == kMaxReported) {
      ++more;
      continue;
    }
    for (; counted < p->begin; ++counted)
      if (text[counted] == '\n') {
        ++line;
        line_start = counted + 1;
      }
    diags.add(file, line, static_cast<int>(p->begin - line_start + 1), p->problem);
    ++reported;
  }
  if (more > 0)
    diags.add(file, line, static_cast<int>(counted - line_start + 1),
              "and " + std::to_string(more) + " more malformed ${alerts...} placeholders");
}

}  // namespace stackd::manifest

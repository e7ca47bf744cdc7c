#include "desired/prometheus/alert_thresholds.hpp"

#include <stdexcept>

#include "api/v1alpha1/alert_placeholders.hpp"

namespace stackd::prometheus {

std::string render_alert_thresholds(const std::string& content, const manifest::Alerts& alerts, const std::string& file) {
  using manifest::AlertField;
  std::string out;
  out.reserve(content.size());
  std::size_t copied = 0;
  for (auto p = manifest::next_alert_placeholder(content, 0); p; p = manifest::next_alert_placeholder(content, p->end)) {
    if (!p->problem.empty()) throw std::invalid_argument(file + ": " + p->problem);
    out.append(content, copied, p->begin - copied);
    copied = p->end;
    std::optional<std::string> value;
    if (p->field == AlertField::RunbookUrl) {
      value = alerts.runbook_url;
    } else if (auto t = alerts.tuning.find(std::string(p->alert)); t != alerts.tuning.end()) {
      value = p->field == AlertField::Threshold ? t->second.threshold : t->second.for_duration;
    }
    out += value.value_or(std::string(p->fallback));
  }
  out.append(content, copied);
  return out;
}

}  // namespace stackd::prometheus

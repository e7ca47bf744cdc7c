#pragma once
// The shipped rule file (manifests/prometheus/alerts.yml) is the one source
// of truth for the alerts and their default thresholds; spec.alerts only
// overrides values. A tunable value is written in the rule file as a
// placeholder carrying its default:
//
//   expr: ollama_queue_depth > ${alerts.ollamaQueueBacklog.threshold:-10}
//   for: ${alerts.ollamaQueueBacklog.for:-10m}
//   runbook_url: ${alerts.runbookUrl:-docs/runbooks.md}#ollamaqueuebacklog
//
// stackd replaces each with the manifest's value or the default. Any other
// renderer can do the same with one regular expression (a Helm chart:
// regexReplaceAll on `\$\{alerts\.[A-Za-z.]+:-([^}]*)\}` to "${1}" for the
// defaults), so the file needs no template engine and reads as plain YAML.
#include <string>

#include "api/v1alpha1/alerting.hpp"

namespace stackd::prometheus {

// Renders every ${alerts.NAME.threshold|for:-DEFAULT} and
// ${alerts.runbookUrl:-DEFAULT} in `content` (found by
// manifest::next_alert_placeholder). Other text, other ${...} included, is
// left as it is. Throws std::invalid_argument naming `file` for a
// placeholder of an alert that cannot be tuned or without a default; the
// loader has reported those at their line already.
std::string render_alert_thresholds(const std::string& content, const manifest::Alerts& alerts, const std::string& file);

}  // namespace stackd::prometheus

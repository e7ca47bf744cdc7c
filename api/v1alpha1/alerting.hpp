#pragma once
// spec.alertmanager and spec.alerts as the user wrote them, after validation:
// who gets the alerts, how they are grouped and routed, and the
// thresholds of the shipped alert rules. Secrets (SMTP password, webhook URLs
// with tokens, chat tokens) exist here only as files; their content reaches
// Alertmanager as a file, never inside the rendered config.
#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "api/v1alpha1/component.hpp"

namespace stackd::manifest {

struct AlertRoute {
  std::vector<std::string> group_by{"alertname", "instance"};
  std::chrono::seconds group_wait{30};
  std::chrono::seconds group_interval{5 * 60};
  std::chrono::seconds repeat_interval{4 * 60 * 60};
};

// One notification integration of a receiver, already in Alertmanager's
// vocabulary: kind "webhook" becomes webhook_configs, settings are its fields
// (url, to, smarthost, channel, ...) and secret_files its *_file fields.
struct Receiver {
  std::string name;
  std::string kind;  // webhook | email | slack | discord | telegram | msteams
  std::vector<std::pair<std::string, std::string>> settings;      // Alertmanager field -> value, in order
  std::vector<std::pair<std::string, FileRef>> secret_files;      // Alertmanager *_file field -> the secret
};

// A child of the default route: first match wins.
struct ChildRoute {
  std::vector<std::string> matchers;  // Alertmanager matcher syntax: severity="critical"
  std::string receiver;
};

struct Alertmanager : Component {
  AlertRoute route;
  std::vector<Receiver> receivers;  // the first is the default route's receiver
  std::vector<ChildRoute> routes;
  std::optional<FileRef> config_file;  // a raw Alertmanager config instead of route/receivers
  bool declared = false;               // the manifest has an `alertmanager` section
};

// A shipped alert's tunables as they go into the rule file: the threshold as a
// PromQL number (a duration threshold in seconds) and `for` as a Prometheus
// duration. Unset: the default written in the rule file itself.
struct AlertTuning {
  std::optional<std::string> threshold;
  std::optional<std::string> for_duration;
};

// What kind of number an alert's threshold is in the manifest; None: the
// alert fires on a state (down, throttling, an Xid error), its rule has no
// threshold placeholder, and only its `for` may be set.
enum class ThresholdKind { Duration, Number, None };

// The alerts whose thresholds the manifest may set (spec.alerts.<name>), the
// same names the rule file's ${alerts.<name>.threshold:-default} placeholders use.
inline const std::vector<std::pair<std::string, ThresholdKind>>& tunable_alerts() {
  static const std::vector<std::pair<std::string, ThresholdKind>> names = {
      {"ollamaDown", ThresholdKind::None},
      {"ollamaHighResponseTime", ThresholdKind::Duration},
      {"ollamaQueueBacklog", ThresholdKind::Number},
      {"ollamaHighErrorRate", ThresholdKind::Number},
      {"ollamaModelOffloaded", ThresholdKind::Number},       // share of the model outside VRAM
      {"ollamaAnswersTruncated", ThresholdKind::Number},     // share of answers with done_reason "length"
      {"ollamaModelLoadThrash", ThresholdKind::Number},      // loads of a model per hour
      {"ollamaUpstreamUnreachable", ThresholdKind::Number},  // failed requests per second
      {"ollamaHighInterTokenLatency", ThresholdKind::Duration},
      // manifests/prometheus/gpu.yml
      {"gpuMemoryNearlyFull", ThresholdKind::Number},  // a ratio of the VRAM
      {"gpuHot", ThresholdKind::Number},               // °C
      {"gpuThermalThrottling", ThresholdKind::None},
      {"gpuExporterDown", ThresholdKind::None},
      {"gpuXidError", ThresholdKind::None},
  };
  return names;
}

struct Alerts {
  std::map<std::string, AlertTuning> tuning;  // by manifest name (ollamaHighResponseTime)
  std::optional<std::string> runbook_url;     // base of every runbook_url; default: the daemon's /runbooks
};

}  // namespace stackd::manifest

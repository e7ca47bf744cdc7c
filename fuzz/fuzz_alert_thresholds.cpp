// Rule-file text through the ${alerts...} placeholders: the loader's check
// (api/v1alpha1/alert_placeholders.hpp) and the renderer
// (desired/prometheus/alert_thresholds.hpp), with every tunable alert
// set and with none. Besides not crashing, the two must agree: the renderer
// refuses exactly the texts the loader reports.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <stdexcept>
#include <string>

#include "api/v1alpha1/alert_placeholders.hpp"
#include "api/v1alpha1/alerting.hpp"
#include "desired/prometheus/alert_thresholds.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  stackd::manifest::Diagnostics diags;
  stackd::manifest::check_alert_placeholders(text, "rules.yml", diags);

  stackd::manifest::Alerts none, tuned;
  for (const auto& [name, _] : stackd::manifest::tunable_alerts()) tuned.tuning[name] = {"0.5", "5m"};
  tuned.runbook_url = "https://runbooks.example/ollama.md";
  for (const auto* alerts : {&none, &tuned}) {
    try {
      (void)stackd::prometheus::render_alert_thresholds(text, *alerts, "rules.yml");
      if (!diags.empty()) std::abort();  // rendered what the loader rejects
    } catch (const std::invalid_argument&) {
      if (diags.empty()) std::abort();  // refused what the loader accepts
    }
  }
  return 0;
}

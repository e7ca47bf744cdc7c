#pragma once
// The placeholders of a rule file through which spec.alerts tunes the
// shipped alerts (manifests/prometheus/alerts.yml):
//
//   ${alerts.NAME.threshold:-DEFAULT}  ${alerts.NAME.for:-DEFAULT}
//   ${alerts.runbookUrl:-DEFAULT}
//
// found by one forward pass over the text, never by std::regex (whose
// matcher recursed once per character and overflowed the stack on a ~30 KB
// placeholder). The loader reports a malformed one at file:line:col; the
// renderer (desired/prometheus/alert_thresholds.hpp) fills them in.
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

#include "api/v1alpha1/diagnostics.hpp"

namespace stackd::manifest {

enum class AlertField { Threshold, For, RunbookUrl };

// One "${alerts." up to the next '}'. Views point into the scanned text.
struct AlertPlaceholder {
  std::size_t begin = 0;  // offset of "${alerts."
  std::size_t end = 0;    // one past the closing '}'
  AlertField field = AlertField::Threshold;
  std::string_view alert;     // a tunable alert (tunable_alerts()); empty for RunbookUrl
  std::string_view fallback;  // DEFAULT, never empty
  std::string problem;        // non-empty: malformed, and why (then field, alert and fallback are unset)
};

// The first placeholder at or after offset `from`, or nullopt. A "${alerts."
// without a '}' after it is not a placeholder and ends the search.
// Resume at the returned `end`: every placeholder of a text costs one pass.
std::optional<AlertPlaceholder> next_alert_placeholder(std::string_view text, std::size_t from);

// A diagnostic at `file`:line:col for each malformed placeholder of `text`
// (the first 20; then how many more there are).
void check_alert_placeholders(std::string_view text, const std::string& file, Diagnostics& diags);

}  // namespace stackd::manifest

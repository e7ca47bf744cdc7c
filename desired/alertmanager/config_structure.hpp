#pragma once
// A raw Alertmanager config (spec.alertmanager.configFile) judged the way
// Alertmanager's own loader judges it, for `stackd validate` where no amtool
// is installed: each problem with its file:line:col. Pure.
#include <string>

#include "api/v1alpha1/diagnostics.hpp"

namespace stackd::alertmanager {

// A config that is not one YAML mapping, no route, a root route without a
// receiver or with matchers, continue or time intervals, a receiver or time
// interval without a name or with a name used twice, a route naming a
// receiver or a time interval that is not defined. `file` names the problems.
manifest::Diagnostics check_config_structure(const std::string& content, const std::string& file);

}  // namespace stackd::alertmanager

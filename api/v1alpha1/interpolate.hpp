#pragma once
// ${VAR} interpolation from the environment, applied to the manifest text
// before YAML parsing so that every error keeps its line and column.
//   ${VAR}          value of VAR; unset is an error
//   ${VAR:-default} default when VAR is unset or empty
//   ${VAR-default}  default when VAR is unset
//   $$              a literal '$'
#include <functional>
#include <optional>
#include <string>

#include "api/v1alpha1/diagnostics.hpp"

namespace stackd::manifest {

using EnvLookup = std::function<std::optional<std::string>(const std::string&)>;

EnvLookup process_environment();

// Returns the interpolated text; problems are added to diags with positions
// in `file`'s original text.
std::string interpolate(const std::string& text, const std::string& file, const EnvLookup& env, Diagnostics& diags);

}  // namespace stackd::manifest

#pragma once
// ${VAR} interpolation from the environment. Values go into scalars only,
// after YAML parsing, so no value (a newline, '{', ': ', '#', quotes) can add
// a key or change the document's structure:
//   1. mask_variables() replaces each ${...} in the raw text by an inert
//      placeholder (private-use characters, a plain-scalar character in every
//      YAML context) and remembers where it was;
//   2. the text is parsed;
//   3. expand_scalar() puts each value into the scalar that holds its
//      placeholder. Placeholders in comments are never evaluated.
// Syntax:
//   ${VAR}          value of VAR; unset is an error
//   ${VAR:-default} default when VAR is unset or empty
//   ${VAR-default}  default when VAR is unset
//   $$              a literal '$'
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "api/v1alpha1/diagnostics.hpp"

namespace stackd::manifest {

using EnvLookup = std::function<std::optional<std::string>(const std::string&)>;

EnvLookup process_environment();

struct MaskedVariable {
  std::string expression;  // between "${" and "}"; empty with terminated=false for a lone "${"
  bool terminated = true;
  int line = 0, col = 0;   // of the '$' in the original text
};

struct MaskedText {
  std::string text;  // the original with every ${...} replaced by a placeholder
  std::vector<MaskedVariable> variables;
};

// Problems with the text itself (it holds stackd's placeholder character) go
// to diags.
MaskedText mask_variables(const std::string& text, const std::string& file, Diagnostics& diags);

// True when `value` (from the masked text) holds a variable's placeholder.
bool contains_variable(std::string_view value);

// True when `value` (a scalar of the masked text) holds a placeholder or "$$".
bool needs_expansion(std::string_view value);

// The scalar with its placeholders replaced by their values and "$$" by "$";
// unset variables and invalid names are added to diags at their original
// position.
std::string expand_scalar(std::string_view value, const MaskedText& masked, const EnvLookup& env,
                          const std::string& file, Diagnostics& diags);

// mask + expand over one whole string (no YAML): what a scalar holding
// `text` becomes.
std::string interpolate(const std::string& text, const std::string& file, const EnvLookup& env, Diagnostics& diags);

}  // namespace stackd::manifest

#pragma once
// yaml-cpp's syntax errors ("illegal map value", "end of map not found") as a
// sentence a person understands, at the place to fix. yaml-cpp reports where
// its parser gave up, which is often a line after the mistake: a missing ':'
// shows as "illegal map value" at the next key's ':'. Looking at the lines
// around that place tells the usual mistakes apart: a missing ':', a key
// indented unlike its siblings, ': ' inside an unquoted value, a list item
// inside a mapping, an unclosed bracket or quote, a tab.
#include <string>
#include <string_view>

namespace stackd::manifest {

struct YamlSyntaxProblem {
  int line = 1;  // 1-based
  int col = 1;   // 1-based, in bytes
  std::string message;
};

// `line`/`col` (1-based) and `message` as yaml-cpp gave them for `text`.
YamlSyntaxProblem explain_yaml_error(std::string_view text, int line, int col, const std::string& message);

// When the quoted scalar whose opening quote is at byte `offset` of `text`
// is never closed (yaml-cpp accepts that at the end of a file), the problem;
// else an empty message.
YamlSyntaxProblem unclosed_quote(std::string_view text, std::size_t offset);

}  // namespace stackd::manifest

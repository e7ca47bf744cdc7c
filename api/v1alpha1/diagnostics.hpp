#pragma once
// Problems found in a manifest, each with the place it was found, reported
// all at once as `file:line:col: message` (a syntax error also shows its line
// and a caret). Files the manifest references are named relative to it.
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace stackd::manifest {

struct Diagnostic {
  std::string file;
  int line = 1;  // 1-based; 1:1 when the problem has no position (e.g. unreadable file)
  int col = 1;
  std::string message;
  // The offending line and a caret under `col` (common/source_excerpt.hpp),
  // printed under the message; empty for problems of meaning, not syntax.
  std::string excerpt;
  std::string to_string() const;
};

class Diagnostics {
 public:
  void add(std::string file, int line, int col, std::string message);
  // A syntax error: with the line of `text` it is on and a caret.
  void add_syntax_error(std::string file, std::string_view text, int line, int col, std::string message);
  // Re-takes every excerpt's line from `original`: the manifest is parsed
  // with its ${VAR}s masked, and a person should see the line they wrote.
  void show_lines_of(std::string_view original);
  bool empty() const { return items_.empty(); }
  const std::vector<Diagnostic>& items() const { return items_; }
  std::string to_string() const;  // one per line, sorted by position

 private:
  std::vector<Diagnostic> items_;
};

// Thrown by the loader when a manifest is invalid. Never reaches Docker.
class ManifestError : public std::runtime_error {
 public:
  explicit ManifestError(Diagnostics d) : std::runtime_error(d.to_string()), diagnostics_(std::move(d)) {}
  const Diagnostics& diagnostics() const { return diagnostics_; }

 private:
  Diagnostics diagnostics_;
};

}  // namespace stackd::manifest

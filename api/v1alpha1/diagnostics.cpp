#include "api/v1alpha1/diagnostics.hpp"

#include "common/source_excerpt.hpp"

#include <algorithm>
#include <tuple>

namespace stackd::manifest {

std::string Diagnostic::to_string() const {
  if (line <= 0) return file + ": " + message;
  return file + ":" + std::to_string(line) + ":" + std::to_string(col) + ": " + message +
         (excerpt.empty() ? "" : "\n" + excerpt.substr(0, excerpt.size() - (excerpt.back() == '\n')));
}

void Diagnostics::add(std::string file, int line, int col, std::string message) {
  // Every message has a position: file:1:1 when the problem has none of its
  // own (an unreadable file, a whole-file check).
  items_.push_back(Diagnostic{std::move(file), line > 0 ? line : 1, col > 0 ? col : 1, std::move(message)});
}

void Diagnostics::add_syntax_error(std::string file, std::string_view text, int line, int col, std::string message) {
  add(std::move(file), line, col, std::move(message));
  items_.back().excerpt = source_excerpt(text, items_.back().line, items_.back().col);
}

void Diagnostics::show_lines_of(std::string_view original) {
  for (auto& d : items_)
    if (!d.excerpt.empty()) d.excerpt = source_excerpt(original, d.line, d.col);
}

std::string Diagnostics::to_string() const {
  auto sorted = items_;
  std::stable_sort(sorted.begin(), sorted.end(), [](const Diagnostic& a, const Diagnostic& b) {
    return std::tie(a.file, a.line, a.col) < std::tie(b.file, b.line, b.col);
  });
  std::string out;
  for (const auto& d : sorted) out += d.to_string() + "\n";
  return out;
}

}  // namespace stackd::manifest

#include "api/v1alpha1/diagnostics.hpp"

#include <algorithm>
#include <tuple>

namespace stackd::manifest {

std::string Diagnostic::to_string() const {
  if (line <= 0) return file + ": " + message;
  return file + ":" + std::to_string(line) + ":" + std::to_string(col) + ": " + message;
}

void Diagnostics::add(std::string file, int line, int col, std::string message) {
  // Every message has a position: file:1:1 when the problem has none of its
  // own (an unreadable file, a whole-file check).
  items_.push_back(Diagnostic{std::move(file), line > 0 ? line : 1, col > 0 ? col : 1, std::move(message)});
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

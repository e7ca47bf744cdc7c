#include "common/source_excerpt.hpp"

#include <algorithm>

namespace stackd {

namespace {
constexpr std::size_t kWindow = 100;  // bytes of the line shown at most

// Where line `line` starts, or npos when the text has fewer lines.
std::size_t line_start(std::string_view text, int line) {
  std::size_t start = 0;
  for (int l = 1; l < line; ++l) {
    auto nl = text.find('\n', start);
    if (nl == std::string_view::npos) return std::string_view::npos;
    start = nl + 1;
  }
  return start;
}

}  // namespace

std::string_view line_of(std::string_view text, int line) {
  auto start = line < 1 ? std::string_view::npos : line_start(text, line);
  if (start == std::string_view::npos) return {};
  auto end = text.find('\n', start);
  auto s = text.substr(start, end == std::string_view::npos ? std::string_view::npos : end - start);
  if (!s.empty() && s.back() == '\r') s.remove_suffix(1);
  return s;
}

std::string source_excerpt(std::string_view text, int line, int col) {
  if (line < 1 || line_start(text, line) == std::string_view::npos) return "";
  auto content = line_of(text, line);
  std::size_t caret = col > 0 ? static_cast<std::size_t>(col - 1) : 0;
  caret = std::min(caret, content.size());
  std::size_t from = 0;
  std::string prefix, suffix;
  if (content.size() > kWindow) {
    from = caret > kWindow / 2 ? caret - kWindow / 2 : 0;
    if (from > 0) prefix = "...";
    if (content.size() - from > kWindow) suffix = "...";
    content = content.substr(from, kWindow);
  }
  std::string number = std::to_string(line);
  std::string gutter = std::string(std::max<std::size_t>(5, number.size()) - number.size(), ' ') + number + " | ";
  std::string blank(gutter.size() - 2, ' ');
  std::string shown;
  for (char c : content) shown += static_cast<unsigned char>(c) < 0x20 && c != '\t' ? '?' : c;
  // The caret under the column: tabs before it are copied so it lines up.
  std::string pad = prefix.empty() ? "" : "   ";
  for (std::size_t i = 0; i < caret - from && i < content.size(); ++i) pad += content[i] == '\t' ? '\t' : ' ';
  return gutter + prefix + shown + suffix + "\n" + blank + "| " + pad + "^\n";
}

}  // namespace stackd

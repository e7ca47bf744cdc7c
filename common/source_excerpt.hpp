#pragma once
// The line a problem is on, and a caret under its column, printed under a
// `file:line:col: message` so a person sees the place without opening the file:
//
//     4 |     retention 15d
//       |     ^
#include <string>
#include <string_view>

namespace stackd {

// Two lines (each ending in '\n'), or "" when `line` is not in `text`. A long
// line is cut to a window around `col` (1-based, in bytes), so a long value
// is never echoed back whole.
std::string source_excerpt(std::string_view text, int line, int col);

// Line `line` (1-based) of `text` without its '\n' (or '\r\n'); "" past the end.
std::string_view line_of(std::string_view text, int line);

}  // namespace stackd
